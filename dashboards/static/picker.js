// Checkbox pickers (layout.html "checkbox-picker", "clause-picker"): the
// summary lists what is ticked, kept up to date as boxes change. The form
// works without this script; the list then shows what the server rendered.
(function () {
  "use strict";
  var T = window.econdipI18n;
  function chosen(details) {
    var out = [];
    details.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
      var label = box.closest("label");
      var code = label && label.querySelector("b");
      out.push(code ? code.textContent.trim() : (label ? label.textContent.trim() : box.value));
    });
    return out;
  }
  document.addEventListener("change", function (e) {
    var details = e.target.closest && e.target.closest("details.picker");
    if (!details) return;
    var list = chosen(details);
    details.querySelector(".picker-chosen").textContent = list.length ? list.join(", ") : T.t("js.secretariat.none_chosen");
  });
})();
