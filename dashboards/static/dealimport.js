// The deal import page: while a file is checked or stored, its button is
// disabled and a progress bar shows that the server is working (a file of
// hundreds of deals takes a few seconds to check against the register).
(function () {
  "use strict";
  document.querySelectorAll("form.import-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]"), bar = form.querySelector("progress");
      if (button) button.disabled = true;
      if (bar) bar.hidden = false;
    });
  });
})();
