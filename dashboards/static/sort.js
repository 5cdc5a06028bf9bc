// Sortable tables: a click on a column's header (or Enter or Space on it)
// sorts the rows of every table with class "sortable" by that column, once
// ascending, again descending. A cell's data-sort, when it has one, is the
// value sorted by (the server or the script writes the exact number or the
// ISO date there, as the text is formatted for reading); numbers sort as
// numbers, ISO dates as dates, other text in the page's language's order.
// The header says the order to screen readers (aria-sort). Tables filled
// later by a script work the same: the handlers are on the document.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var collator = new Intl.Collator(lang, {numeric: true, sensitivity: "base"});
  var isoDay = /^\d{4}-\d{2}-\d{2}/;

  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) return "";
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }
  function isNumber(s) { return s !== "" && isFinite(Number(s)); }

  // prepare makes a table's headers focusable and says they sort.
  function prepare(table) {
    if (!table.tHead) return;
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (th) {
      if (th.hasAttribute("data-nosort") || th.colSpan > 1) return;
      if (!th.hasAttribute("tabindex")) th.tabIndex = 0;
      if (!th.hasAttribute("aria-sort")) th.setAttribute("aria-sort", "none");
      th.classList.add("sort-head");
    });
  }

  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0];
    if (!body) return;
    var col = th.cellIndex;
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    // A lone row spanning the table ("None.", "Loading…") has nothing to sort.
    if (rows.length < 2 || rows.some(function (r) { return r.cells.length === 1 && r.cells[0].colSpan > 1; })) return;
    var keys = rows.map(function (r) { return key(r, col); });
    var filled = keys.filter(function (k) { return k !== "" && k !== "–"; });
    var numeric = filled.length > 0 && filled.every(isNumber);
    var dates = !numeric && filled.length > 0 && filled.every(function (k) { return isoDay.test(k); });
    var order = rows.map(function (r, i) { return {row: r, key: keys[i], i: i}; });
    order.sort(function (a, b) {
      var ea = a.key === "" || a.key === "–", eb = b.key === "" || b.key === "–";
      if (ea || eb) return ea === eb ? a.i - b.i : (ea ? 1 : -1); // blanks last, either way
      var c = numeric ? Number(a.key) - Number(b.key) : dates ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : collator.compare(a.key, b.key);
      if (dir === "descending") c = -c;
      return c || a.i - b.i;
    });
    order.forEach(function (o) { body.appendChild(o.row); });
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { if (h !== th && h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", dir);
  }

  function header(e) {
    var th = e.target.closest && e.target.closest("table.sortable thead th");
    if (!th || th.hasAttribute("data-nosort") || th.colSpan > 1 || e.target.closest("a, button, input, select")) return null;
    return th;
  }
  document.addEventListener("click", function (e) { var th = header(e); if (th) { prepare(th.closest("table")); sortBy(th); } });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" && e.key !== " ") return;
    var th = header(e);
    if (th) { e.preventDefault(); prepare(th.closest("table")); sortBy(th); }
  });
  function prepareAll() { Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), prepare); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", prepareAll); else prepareAll();
  window.econdipSort = {prepare: prepare, sortBy: sortBy};
})();
