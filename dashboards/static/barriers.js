// The analysts' Trade barriers page: headline numbers, barriers by type and
// by the country that raised them, and those resolved per year with the
// median days they took. Each figure comes from its JSON endpoint under
// /api/barriers/ (CSV with .csv), with the page's own filters. Words,
// numbers and dates are the page's language's (window.econdipI18n).
(function () {
  "use strict";
  var C = window.econdipCharts, I = window.econdipI18n;
  var query = new URLSearchParams(window.location.search).toString();
  function url(figure, csv) { return "/api/barriers/" + figure + (csv ? ".csv" : "") + (query ? "?" + query : ""); }
  document.querySelectorAll("a.csv").forEach(function (a) { a.href = url(a.dataset.figure, true); });

  function fail(id) { return function (msg) { var e = document.getElementById(id); e.innerHTML = ""; var p = document.createElement("p"); p.className = "error"; p.textContent = msg; e.appendChild(p); }; }
  function set(id, text) { document.getElementById(id).textContent = text; }
  var num = C.n;
  function days(m) { return m == null ? "–" : I.num(m); }
  // short and money: an amount in the page's unit (USD, or KZT with ?in=KZT).
  function short(v) { return I.t("js.kztpages.amount", C.compact(v), C.UNIT); }
  function money(v) { return C.money(v) + "\u00a0" + C.UNIT; }
  function stake(r) { return C.amount(r, "open_value_at_stake"); }
  // Issue 18: the numbers of barriers open their list (/records/barriers), with the page's filters and the row's key.
  var pageParams = new URLSearchParams(window.location.search);
  function listed(cell, set) {
    var q = new URLSearchParams(pageParams);
    q.delete("in"); q.delete("lang");
    for (var k in set) q.set(k, set[k]);
    cell.href = "/records/barriers?" + q.toString(); cell.linkClass = "figure-link";
    return cell;
  }
  function tallyCells(label, r, key) {
    function k(state) { var o = {state: state}; for (var n in key) o[n] = key[n]; return o; }
    return [label, listed(num(r.open), k("open")), listed(num(r.dormant), k("dormant")), listed(num(r.resolved), k("resolved")), C.usd(stake(r)), num(r.open_without_rate), C.staleCell(r), num(r.median_days_to_resolve)];
  }
  // openBar: the bar is the open barriers; the text adds their value at stake and what else there is.
  function openBar(label, r) {
    var text = [I.t("js.country.barriers.open_n", I.num(r.open))];
    if (Number(stake(r))) text.push(I.t("js.country.barriers.at_stake", short(stake(r))) + (r.stale_rate ? " \u26a0" : ""));
    if (r.open_without_rate) text.push(I.t("js.analyst.exports.without_rate", I.num(r.open_without_rate)));
    text.push(I.t("js.country.barriers.resolved_n", I.num(r.resolved)));
    if (r.dormant) text.push(I.t("js.country.barriers.dormant_n", I.num(r.dormant)));
    return {label: label, value: r.open, colour: "#c7534a", text: text.join(" · "),
      title: I.t("js.country.barriers.bar_title", label, I.num(r.open), money(stake(r)), I.num(r.dormant), I.num(r.resolved)) + (C.rateNote(r) ? "; " + C.rateNote(r) : "")};
  }
  function typeName(r) { return I.label("barrier_type", r.type); }
  function countryName(r) { return r.country_name || r.country; }

  C.load(url("summary"), function (d) {
    var t = d.rows[0];
    set("h-open", I.num(t.open));
    set("h-open-note", I.t("js.country.barriers.open_note", I.num(t.barriers)));
    C.flagRates("rate-flags", t);
    set("h-value", short(stake(t)) + (t.stale_rate ? " \u26a0" : ""));
    set("h-value-note", I.t("js.country.barriers.value_note", money(stake(t))));
    set("h-resolved", I.num(t.resolved));
    set("h-resolved-note", I.t("js.country.barriers.resolved_note"));
    set("h-median", days(t.median_days_to_resolve));
    set("h-median-note", I.t(t.median_days_to_resolve == null ? "js.country.barriers.none_resolved" : "js.country.barriers.median_note"));
    set("h-dormant", I.num(t.dormant));
    set("h-dormant-note", I.t("js.country.barriers.dormant_note"));
    set("h-norate", I.num(t.open_without_rate));
    set("h-norate-note", I.t(t.open_without_rate ? "js.country.barriers.no_rate_note" : "js.country.barriers.all_converted"));
  }, fail("headline"));

  C.load(url("types"), function (d) {
    C.bars(document.getElementById("chart-types"), d.rows.map(function (r) { return openBar(typeName(r), r); }), {label: I.t("js.country.barriers.by_type_chart")});
    C.fillTable("table-types", d.rows, function (r) { return tallyCells(typeName(r), r, {type: r.type}); });
  }, fail("chart-types"));

  C.load(url("countries"), function (d) {
    C.bars(document.getElementById("chart-countries"), d.rows.map(function (r) { return openBar(countryName(r), r); }),
      {label: I.t("js.country.barriers.by_country_chart")});
    C.fillTable("table-countries", d.rows, function (r) { return tallyCells(countryName(r), r, {country: r.country}); });
  }, fail("chart-countries"));

  C.load(url("resolved"), function (d) {
    C.bars(document.getElementById("chart-resolved"), d.rows.map(function (r) {
      return {label: String(r.year), value: r.resolved, colour: "#2f8f5b",
        text: I.t("js.country.barriers.resolved_text", I.num(r.resolved), days(r.median_days_to_resolve)),
        title: I.t("js.country.barriers.resolved_title", String(r.year), I.num(r.resolved), days(r.median_days_to_resolve))};
    }), {label: I.t("js.country.barriers.per_year_chart")});
    C.fillTable("table-resolved", d.rows, function (r) { return [{text: String(r.year), sort: String(r.year)}, listed(num(r.resolved), {resolved_years: String(r.year)}), num(r.median_days_to_resolve)]; });
  }, fail("chart-resolved"));
})();
