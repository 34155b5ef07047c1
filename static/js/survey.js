// The public survey works without JavaScript; this only adds a live character count to free-text answers.
(function () {
  "use strict";
  document.querySelectorAll("textarea.survey-text[data-limit]").forEach(function (area) {
    var hint = document.getElementById(area.dataset.hint);
    var limit = parseInt(area.dataset.limit, 10);
    var template = area.dataset.leftText || "";
    if (!hint || !limit || !template) { return; }
    var base = hint.textContent.trim();
    function update() {
      var left = limit - area.value.length;
      hint.textContent = base + " " + template.replace("NUMBER", String(left));
      hint.classList.toggle("is-near-limit", left < 100);
    }
    area.addEventListener("input", update);
    update();
  });
})();
