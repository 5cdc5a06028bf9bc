// The analysts' Commissions page: execution rates per commission, per agency
// and over time, the overdue list, and the decisions that led to investment,
// each from its JSON endpoint under /api/commissions/ (CSV with .csv).
(function () {
  "use strict";
  var C = window.econdipCharts;
  var query = new URLSearchParams(window.location.search).toString();
  function url(figure, csv) { return "/api/commissions/" + figure + (csv ? ".csv" : "") + (query ? "?" + query : ""); }
  document.querySelectorAll("a.csv").forEach(function (a) { a.href = url(a.dataset.figure, true); });
  function pct(r) { return r == null ? "no decision due" : (Math.round(Number(r) * 1000) / 10) + "%"; }
  function fail(id) { return function (msg) { document.getElementById(id).innerHTML = "<p class='error'>" + msg + "</p>"; }; }

  C.load(url("execution"), function (d) {
    C.bars(document.getElementById("chart-execution"), d.rows.map(function (r) {
      return {label: r.name || r.commission_id, value: r.rate == null ? null : Number(r.rate), text: r.rate == null ? pct(r.rate) : pct(r.rate) + " of " + r.due + " due · " + r.overdue + " overdue",
        title: (r.name || r.commission_id) + ": " + r.done_on_time + " done on time, " + r.done_late + " late, " + r.overdue + " overdue of " + r.due + " due"};
    }), {max: 1, label: "Execution rate per commission"});
  }, fail("chart-execution"));

  C.load(url("agencies"), function (d) {
    C.bars(document.getElementById("chart-agencies"), d.rows.map(function (r) {
      return {label: r.agency, value: r.rate == null ? null : Number(r.rate), text: r.rate == null ? pct(r.rate) : pct(r.rate) + " of " + r.due, colour: "#2f8f5b"};
    }), {max: 1, label: "Execution rate per agency"});
  }, fail("chart-agencies"));

  C.load(url("years"), function (d) {
    var by = {}, xs = {};
    d.rows.forEach(function (r) {
      (by[r.commission_id] = by[r.commission_id] || []).push({x: r.year, y: r.rate == null ? null : Number(r.rate)});
      xs[r.year] = true;
    });
    var years = Object.keys(xs).map(Number).sort();
    C.lines(document.getElementById("chart-years"), Object.keys(by).sort().map(function (k) { return {name: k, points: by[k]}; }), years, {label: "Execution rate by deadline year"});
  }, fail("chart-years"));

  C.load(url("overdue"), function (d) {
    C.fillTable("table-overdue", d.rows, function (r) {
      return [r.commission_id, r.session_number, r.item, r.text, r.agencies.join(", "), r.deadline.slice(0, 10), r.status.replace("_", " "), {text: r.days_late, num: true}];
    });
  }, fail("table-overdue"));

  C.load(url("late"), function (d) {
    C.fillTable("table-late", d.rows, function (r) {
      return [r.commission_id, r.session_number, r.item, r.text, r.agencies.join(", "), r.deadline.slice(0, 10), (r.done_on || "").slice(0, 10), {text: r.days_late, num: true}];
    });
  }, fail("table-late"));

  C.load(url("investment"), function (d) {
    C.fillTable("table-investment", d.rows, function (r) {
      return [r.name || r.commission_id, {text: r.decisions, num: true}, {text: r.decisions_with_leads, num: true}, {text: r.leads, num: true}, {text: C.money(r.capex_usd), num: true}, {text: r.leads_without_rate, num: true}];
    });
  }, fail("table-investment"));

  C.load(url("decision-leads"), function (d) {
    C.fillTable("table-decision-leads", d.rows, function (r) {
      // details_withheld: the reader may not read leads (a secretariat): ids only.
      return [r.commission_id, r.session_number, r.item, r.text, r.status.replace("_", " "), r.leads.map(function (l) { return l.title || l.lead_id; }).join("; "),
        r.details_withheld ? {text: "not shown to your role", num: true} : {text: C.money(r.capex_usd), num: true}];
    });
  }, fail("table-decision-leads"));

  function tally(id, key) {
    return function (d) {
      C.fillTable(id, d.rows, function (r) { return [r[key], {text: r.decisions, num: true}, {text: r.done, num: true}, {text: r.open, num: true}, {text: r.overdue, num: true}]; });
    };
  }
  C.load(url("sectors"), tally("table-sectors", "sector"), fail("table-sectors"));
  C.load(url("clauses"), tally("table-clauses", "clause"), fail("table-clauses"));
})();
