// The agent queue's rows are reloaded by htmx every 30 s (hx-get on #queue-rows). When the session has
// ended, that request is redirected to the login page: reload the whole page instead of drawing the
// login form inside the list.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || !xhr.responseURL) {
      return;
    }
    var requested = event.detail.requestConfig && event.detail.requestConfig.path;
    if (requested && new URL(xhr.responseURL).pathname !== new URL(requested, window.location.href).pathname) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
})();
