// The planning progress bar on the campaign page. The markup carries the number (aria-valuenow and
// data-percent); this sets the bar's width from it, because a Content-Security-Policy forbids inline
// style attributes. htmx replaces the fragment every 2 s while planning runs: paint each new copy.
(function () {
  "use strict";
  function paint(root) {
    root.querySelectorAll(".progress-bar[data-percent]").forEach(function (bar) {
      var percent = Math.max(0, Math.min(100, Number(bar.getAttribute("data-percent")) || 0));
      bar.style.width = percent + "%";
    });
  }
  paint(document);
  document.addEventListener("htmx:load", function () {
    paint(document);
  });
})();
