// Draws the managers' small charts (team page, concern dashboard) with the local plotly.js. Each figure's
// JSON sits in a <script type="application/json"> written by Django's json_script; the element that shows
// it names that script in data-team-figure. No mode bar (it would link to plotly.com and offer
// English-only buttons), no zoom: the table under each chart gives the exact numbers.
// Content that htmx swaps in (the dashboard's filters) is drawn as it arrives.
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
  function draw() {
    document.querySelectorAll("[data-team-figure]:not([data-drawing])").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-team-figure"));
      if (!source) {
        return;
      }
      element.setAttribute("data-drawing", "");
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
        element.classList.add("is-drawn");
      });
    });
  }
  draw();
  document.addEventListener("htmx:load", draw);
})();
