// The unit of money of an analysts' page (dashboards/moneyunit.go): USD, or
// KZT with ?in=KZT in the page's address, and the notes on the rates behind
// an amount, worded as the scorecard's. The JSON figures carry both units;
// window.econdipUnit picks the page's one.
(function () {
  "use strict";
  var C = window.econdipCharts, I = window.econdipI18n;
  var IN = new URLSearchParams(window.location.search).get("in") === "KZT" ? "KZT" : "USD";
  // pick is a row's amount in the page's unit: its usd field, or the kzt field beside it.
  function pick(r, usd, kzt) { return IN === "KZT" ? r[kzt] : r[usd]; }
  // note says how old the rates behind a figure were (charts.js's rateNote), or "".
  var note = C.rateNote;
  // amount is a figure's table cell in the page's unit: ⚠ with the note when a rate was stale or too old.
  function amount(r, usd, kzt) {
    var cell = C.usd(pick(r, usd, kzt)), n = note(r);
    if (n) { cell.text += " \u26a0"; cell.title = n; cell.className = "stale"; }
    return cell;
  }
  // rateDay is a record's rate day, flagged as the scorecard's records are.
  function rateDay(r) {
    if (!r.rate_day) return {text: "–", sort: ""};
    if (r.rate_too_old) return {text: I.t("js.analyst.scorecard.too_old_cell", C.day(r.rate_day).text || r.rate_day, I.num(r.rate_age_days)), sort: r.rate_day, className: "stale"};
    if (r.stale_rate) return {text: I.t("js.analyst.scorecard.stale_cell", C.day(r.rate_day).text || r.rate_day, I.num(r.rate_age_days)), sort: r.rate_day, className: "stale"};
    return C.day(r.rate_day);
  }
  // record is a record's amount in the page's unit, or why it has none.
  function record(r, usd, kzt, noRate) {
    if (noRate) return {text: r.rate_too_old ? I.t("js.analyst.scorecard.too_old_short") : I.t("js.analyst.scorecard.no_rate_cell"), num: true, sort: ""};
    return C.usd(pick(r, usd, kzt));
  }
  window.econdipUnit = {IN: IN, pick: pick, note: note, amount: amount, rateDay: rateDay, record: record};
})();
