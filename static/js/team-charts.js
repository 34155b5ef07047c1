// Draws the team page's small charts with the local plotly.js. Each figure's JSON sits in a
// <script type="application/json"> written by Django's json_script; the element that shows it names
// that script in data-team-figure. No mode bar (it would link to plotly.com and offer English-only
// buttons), no zoom: the table under each chart gives the exact numbers.
(function () {
  "use strict";
  if (!window.Plotly) {
    return;
  }
  var config = {
    responsive: true,
    displaylogo: false,
    displayModeBar: false,
    showLink: false,
    showSendToCloud: false,
    showEditInChartStudio: false,
    scrollZoom: false,
  };
  document.querySelectorAll("[data-team-figure]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-team-figure"));
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.classList.add("is-drawn");
    });
  });
})();
