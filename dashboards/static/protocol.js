// The protocol form: "Add decision" adds a row here, from the row template
// the server rendered with "__i__" for its index, instead of a round trip.
// Without this script the button submits the form, which comes back with
// more empty rows and nothing recorded.
(function () {
  "use strict";
  var T = window.econdipI18n;
  var form = document.getElementById("protocol-form");
  var rows = document.getElementById("protocol-rows");
  var tpl = document.getElementById("row-template");
  var count = document.getElementById("row-count");
  var add = document.getElementById("add-decision");
  if (!form || !rows || !tpl || !count || !add) return;
  var max = 500; // domain.MaxDecisions
  add.addEventListener("click", function (e) {
    e.preventDefault();
    var i = rows.querySelectorAll("fieldset.decision-row").length;
    if (i >= max) return;
    var holder = document.createElement("div");
    holder.innerHTML = tpl.innerHTML.split("__i__").join(String(i));
    var row = holder.firstElementChild;
    row.querySelector("legend").textContent = T.t("js.secretariat.decision_n", i + 1);
    var item = row.querySelector('input[name="item_' + i + '"]');
    if (item) item.value = String(i + 1);
    rows.appendChild(row);
    count.value = String(i + 1);
    var text = row.querySelector("textarea");
    if (text) text.focus();
  });
})();
