// The analysts' Trade barriers page: headline numbers, barriers by type and
// by the country that raised them, and those resolved per year with the
// median days they took. Each figure comes from its JSON endpoint under
// /api/barriers/ (CSV with .csv), with the page's own filters.
(function () {
  "use strict";
  var C = window.econdipCharts;
  var query = new URLSearchParams(window.location.search).toString();
  function url(figure, csv) { return "/api/barriers/" + figure + (csv ? ".csv" : "") + (query ? "?" + query : ""); }
  document.querySelectorAll("a.csv").forEach(function (a) { a.href = url(a.dataset.figure, true); });

  function fail(id) { return function (msg) { var e = document.getElementById(id); e.innerHTML = ""; var p = document.createElement("p"); p.className = "error"; p.textContent = msg; e.appendChild(p); }; }
  function set(id, text) { document.getElementById(id).textContent = text; }
  function num(v) { return {text: String(v), num: true}; }
  function days(m) { return m == null ? "–" : String(m); }
  function plural(n, one, many) { return n + " " + (String(n) === "1" ? one : many); }
  function short(v) {
    var n = Number(v);
    if (n >= 1e9) return "USD " + (n / 1e9).toFixed(2) + " bn";
    if (n >= 1e6) return "USD " + (n / 1e6).toFixed(1) + " m";
    if (n >= 1e3) return "USD " + (n / 1e3).toFixed(0) + " k";
    return "USD " + n.toFixed(0);
  }
  function tallyCells(label, r) {
    return [label, num(r.open), num(r.dormant), num(r.resolved), {text: C.money(r.open_value_at_stake_usd), num: true},
      num(r.open_without_rate), {text: days(r.median_days_to_resolve), num: true}];
  }
  // openBar: the bar is the open barriers; the text adds their value at stake and what else there is.
  function openBar(label, r) {
    return {label: label, value: r.open, colour: "#c7534a",
      text: r.open + " open" + (Number(r.open_value_at_stake_usd) ? " · " + short(r.open_value_at_stake_usd) + " at stake" : "") +
        (r.open_without_rate ? " · " + r.open_without_rate + " without rate" : "") + " · " + r.resolved + " resolved" +
        (r.dormant ? " · " + r.dormant + " dormant" : ""),
      title: label + ": " + r.open + " open (USD " + C.money(r.open_value_at_stake_usd) + " at stake), " + r.dormant + " dormant, " + r.resolved + " resolved"};
  }

  C.load(url("summary"), function (d) {
    var t = d.rows[0];
    set("h-open", String(t.open));
    set("h-open-note", "of " + plural(t.barriers, "barrier", "barriers") + " in all");
    set("h-value", short(t.open_value_at_stake_usd));
    set("h-value-note", "USD " + C.money(t.open_value_at_stake_usd) + " held up by the open barriers");
    set("h-resolved", String(t.resolved));
    set("h-resolved-note", "resolved in full");
    set("h-median", days(t.median_days_to_resolve));
    set("h-median-note", t.median_days_to_resolve == null ? "no barrier resolved yet" : "from report to resolution");
    set("h-dormant", String(t.dormant));
    set("h-dormant-note", "neither open nor resolved");
    set("h-norate", String(t.open_without_rate));
    set("h-norate-note", t.open_without_rate ? "open, value in a currency without a rate: not in the sum" : "every stated value converted");
  }, fail("headline"));

  C.load(url("types"), function (d) {
    C.bars(document.getElementById("chart-types"), d.rows.map(function (r) { return openBar(r.type_name || r.type, r); }), {label: "Open barriers by type"});
    C.fillTable("table-types", d.rows, function (r) { return tallyCells(r.type_name || r.type, r); });
  }, fail("chart-types"));

  C.load(url("countries"), function (d) {
    C.bars(document.getElementById("chart-countries"), d.rows.map(function (r) { return openBar((r.country_name || r.country) + " (" + r.country + ")", r); }),
      {label: "Open barriers by the country that raised them"});
    C.fillTable("table-countries", d.rows, function (r) { return tallyCells((r.country_name || r.country) + " (" + r.country + ")", r); });
  }, fail("chart-countries"));

  C.load(url("resolved"), function (d) {
    C.bars(document.getElementById("chart-resolved"), d.rows.map(function (r) {
      return {label: String(r.year), value: r.resolved, colour: "#2f8f5b",
        text: r.resolved + " resolved · median " + plural(days(r.median_days_to_resolve), "day", "days"),
        title: r.year + ": " + r.resolved + " resolved, in a median of " + days(r.median_days_to_resolve) + " days"};
    }), {label: "Barriers resolved per year"});
    C.fillTable("table-resolved", d.rows, function (r) { return [String(r.year), num(r.resolved), {text: days(r.median_days_to_resolve), num: true}]; });
  }, fail("chart-resolved"));
})();
