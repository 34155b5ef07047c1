// Draws the campaign page's heat maps with the local plotly.js. Each figure's JSON sits in a
// <script type="application/json"> written by Django's json_script; the element that shows it names
// that script in data-heatmap-figure. No mode bar: it would offer links to plotly.com and English-only
// buttons, and the table under each map already gives the numbers.
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
  document.querySelectorAll("[data-heatmap-figure]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-heatmap-figure"));
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.classList.add("is-drawn");
    });
  });
})();
