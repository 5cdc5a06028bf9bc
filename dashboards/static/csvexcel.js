// On Russian and Kazakh pages every CSV link gets an "Excel (ru/kk)" twin:
// the same figure with ';' between fields and decimal commas (?format=excel),
// as Excel in those settings opens it. The twin takes its address from the
// CSV link when it is used, so filters a script put into the CSV link since
// (the analysts' pages rewrite theirs) carry over. Links a script adds later
// get their twin too.
(function () {
  "use strict";
  var I = window.econdipI18n;
  if (!I || I.lang === "en") { return; }
  function excelHref(href) {
    var u = new URL(href, document.baseURI);
    u.searchParams.set("format", "excel");
    return u.pathname + u.search;
  }
  function isCSV(a) {
    if (!a.href || a.classList.contains("csv-excel") || a.dataset.excelTwin) { return false; }
    var path = new URL(a.href, document.baseURI).pathname;
    return /\.csv$/.test(path) && new URL(a.href, document.baseURI).searchParams.get("format") !== "excel";
  }
  function pair(a) {
    var next = a.nextElementSibling;
    if (next && next.classList.contains("csv-excel")) { a.dataset.excelTwin = "1"; return; }
    a.dataset.excelTwin = "1";
    var twin = document.createElement("a");
    twin.className = "csv-excel";
    twin.textContent = I.t("js.csv.excel");
    twin.title = I.t("js.csv.excel_hint");
    twin.href = excelHref(a.href);
    var sync = function () { twin.href = excelHref(a.href); };
    ["mouseenter", "focus", "mousedown", "touchstart"].forEach(function (ev) { twin.addEventListener(ev, sync); });
    a.insertAdjacentText("afterend", " · ");
    a.nextSibling.after(twin);
  }
  function scan(root) {
    (root.querySelectorAll ? root.querySelectorAll("a[href]") : []).forEach(function (a) { if (isCSV(a)) { pair(a); } });
  }
  function start() {
    scan(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (c) { c.addedNodes.forEach(function (n) { if (n.nodeType === 1) { if (n.matches("a[href]") && isCSV(n)) { pair(n); } else { scan(n); } } }); });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
