// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // The language switcher submits on change; its button stays for keyboard and no-JS users.
  document.querySelectorAll(".js-language-form select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
