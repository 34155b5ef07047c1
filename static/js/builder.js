// Survey builder: show only the parts of the question form that fit, and add choice rows.
// Progressive enhancement: without JavaScript every field shows and the server validates everything.
(function () {
  "use strict";
  var form = document.getElementById("question-form");
  if (!form) { return; }

  var OPERATORS = {
    nps: ["at_most", "at_least", "equals"],
    rating: ["at_most", "at_least", "equals"],
    ces: ["at_most", "at_least", "equals"],
    yes_no: ["yes", "no"],
    single_choice: ["any_of"],
    multiple_choice: ["any_of"]
  };
  var NUMBER_KINDS = ["nps", "rating", "ces"];

  var kind = document.getElementById("id_kind");
  var source = document.getElementById("id_show_if_question");
  var operator = document.getElementById("id_show_if_operator");
  var choicesFieldset = document.getElementById("choices-fieldset");

  function wrapper(name) { return document.getElementById("div_id_" + name); }

  var kinds = {};
  (source.getAttribute("data-kinds") || "").split(",").forEach(function (pair) {
    var parts = pair.split("=");
    if (parts.length === 2) { kinds[parts[0]] = parts[1]; }
  });
  var choiceKinds = (kind.getAttribute("data-choice-kinds") || "").split(",");

  function showChoices() {
    choicesFieldset.hidden = choiceKinds.indexOf(kind.value) === -1;
  }

  function showCondition() {
    var sourceKind = kinds[source.value] || "";
    var allowed = OPERATORS[sourceKind] || [];
    Array.prototype.forEach.call(operator.options, function (option) {
      var fits = option.value === "" || allowed.indexOf(option.value) !== -1;
      option.hidden = !fits;
      option.disabled = !fits;
    });
    if (operator.selectedOptions.length && operator.selectedOptions[0].disabled) { operator.value = ""; }
    if (allowed.length === 1) { operator.value = allowed[0]; }
    wrapper("show_if_operator").hidden = !source.value;
    wrapper("show_if_score").hidden = NUMBER_KINDS.indexOf(sourceKind) === -1;
    var choiceWrapper = wrapper("show_if_choices");
    var anyChoice = false;
    if (choiceWrapper) {
      choiceWrapper.querySelectorAll("input[data-question]").forEach(function (box) {
        var mine = box.getAttribute("data-question") === source.value;
        box.closest(".form-check").hidden = !mine;
        if (!mine) { box.checked = false; }
        anyChoice = anyChoice || mine;
      });
      choiceWrapper.hidden = !anyChoice;
    }
  }

  var total = form.querySelector("input[name='choices-TOTAL_FORMS']");
  var template = document.getElementById("choice-template");
  var rows = document.getElementById("choice-rows");
  var addButton = document.getElementById("add-choice");
  if (total && template && rows && addButton) {
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild.querySelector("input");
      if (first) { first.focus(); }
    });
  }

  kind.addEventListener("change", showChoices);
  source.addEventListener("change", showCondition);
  showChoices();
  showCondition();
})();
