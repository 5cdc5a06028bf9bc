// The analysts' Commissions page: execution rates per commission, per agency
// and over time, the overdue list, and the decisions that led to investment,
// each from its JSON endpoint under /api/commissions/ (CSV with .csv). Words,
// numbers and dates in the page's language (window.econdipI18n).
(function () {
  "use strict";
  var C = window.econdipCharts, I = window.econdipI18n, U = window.econdipUnit;
  var query = new URLSearchParams(window.location.search).toString();
  function url(figure, csv) { return "/api/commissions/" + figure + (csv ? ".csv" : "") + (query ? "?" + query : ""); }
  document.querySelectorAll("a.csv").forEach(function (a) { a.href = url(a.dataset.figure, true); });
  // pct: a rate with one decimal where it has one (66.7 %, 20 %).
  function pct(r) { if (r == null) return I.t("js.analyst.commissions.none_due"); var n = Number(r); return I.pct(n, Math.round(n * 1000) % 10 ? 1 : 0); }
  function fail(id) { return function (msg) { var e = document.getElementById(id), p = document.createElement("p"); p.className = "error"; p.textContent = msg; e.innerHTML = ""; e.appendChild(p); }; }
  function status(s) { return I.label("decision_status", s); }
  function agencies(list, names) { return list.map(function (a) { return (names || {})[a] || a; }).join(", "); }

  C.load(url("execution"), function (d) {
    C.bars(document.getElementById("chart-execution"), d.rows.map(function (r) {
      var name = r.name || r.commission_id;
      return {label: name, value: r.rate == null ? null : Number(r.rate),
        text: r.rate == null ? pct(r.rate) : I.t("js.analyst.commissions.rate_text", pct(r.rate), I.num(r.due), I.num(r.overdue)),
        title: I.t("js.analyst.commissions.rate_title", name, I.num(r.done_on_time), I.num(r.done_late), I.num(r.overdue), I.num(r.due))};
    }), {max: 1, label: I.t("js.analyst.commissions.per_commission")});
  }, fail("chart-execution"));

  C.load(url("agencies"), function (d) {
    C.bars(document.getElementById("chart-agencies"), d.rows.map(function (r) {
      var name = (d.agency_names || {})[r.agency] || r.agency;
      return {label: name, value: r.rate == null ? null : Number(r.rate), colour: "#2f8f5b",
        text: r.rate == null ? pct(r.rate) : I.t("js.analyst.commissions.rate_of_due", pct(r.rate), I.num(r.due)),
        title: I.t("js.analyst.commissions.rate_title", name, I.num(r.done_on_time), I.num(r.done_late), I.num(r.overdue), I.num(r.due))};
    }), {max: 1, label: I.t("js.analyst.commissions.per_agency")});
  }, fail("chart-agencies"));

  C.load(url("years"), function (d) {
    var by = {}, xs = {};
    d.rows.forEach(function (r) {
      (by[r.commission_id] = by[r.commission_id] || []).push({x: r.year, y: r.rate == null ? null : Number(r.rate)});
      xs[r.year] = true;
    });
    var years = Object.keys(xs).map(Number).sort();
    C.lines(document.getElementById("chart-years"), Object.keys(by).sort().map(function (k) { return {name: k, points: by[k]}; }), years,
      {label: I.t("js.analyst.commissions.over_time"), fmt: function (v) { return I.pct(v, 0); }});
  }, fail("chart-years"));

  function lateCells(d, last) {
    return function (r) {
      var rec = {text: r.text, href: "/records/decision/" + encodeURIComponent(r.commission_id) + "/" + encodeURIComponent(r.decision_id), linkClass: "record-link"};
      return [r.commission_id, C.n(r.session_number), r.item, rec, agencies(r.agencies, d.agency_names), C.day(r.deadline), last(r), C.n(r.days_late)];
    };
  }
  C.load(url("overdue"), function (d) {
    C.fillTable("table-overdue", d.rows, lateCells(d, function (r) { return status(r.status); }));
  }, fail("table-overdue"));

  C.load(url("late"), function (d) {
    C.fillTable("table-late", d.rows, lateCells(d, function (r) { return C.day(r.done_on); }));
  }, fail("table-late"));

  C.load(url("investment"), function (d) {
    C.fillTable("table-investment", d.rows, function (r) {
      return [r.name || r.commission_id, C.n(r.decisions), C.n(r.decisions_with_leads), C.n(r.leads), U.amount(r, "capex_usd", "capex_kzt"), C.n(r.leads_without_rate)];
    });
  }, fail("table-investment"));

  C.load(url("decision-leads"), function (d) {
    C.fillTable("table-decision-leads", d.rows, function (r) {
      // details_withheld: the reader may not read leads (a secretariat): ids only.
      // Each lead's rate day, flagged when stale or too old ("–" for a lead not found).
      var days = r.details_withheld ? "" : r.leads.map(function (l) { return (l.title || l.lead_id) + ": " + U.rateDay(l).text; }).join("; ");
      return [r.commission_id, C.n(r.session_number), r.item, r.text, status(r.status), r.leads.map(function (l) { return l.title || l.lead_id; }).join("; "),
        r.details_withheld ? {text: I.t("js.analyst.commissions.withheld"), num: true, sort: ""} : U.amount(r, "capex_usd", "capex_kzt"), days];
    });
  }, fail("table-decision-leads"));

  // Issue 18: exports that followed from IGC decisions; each number opens its deals.
  C.load(url("decision-exports"), function (d) {
    var page = new URLSearchParams(window.location.search);
    function deals(r) {
      var q = new URLSearchParams({commission: r.commission_id, years: String(r.year), stage: "contracted,shipped,paid", as_of: d.as_of});
      if (page.get("years")) q.set("decision_years", page.get("years"));
      return "/records/deals?" + q.toString();
    }
    C.fillTable("table-decision-exports", d.rows, function (r) {
      var n = C.n(r.deals), v = U.amount(r, "value_usd", "value_kzt");
      if (d.deals_list) { n.href = v.href = deals(r); n.linkClass = v.linkClass = "figure-link"; }
      return [r.name || r.commission_id, String(r.year), n, v, C.n(r.deals_without_rate)];
    });
  }, fail("table-decision-exports"));

  // Issue 18: the numbers of decisions open their list (/records/decisions) with the page's filters.
  var pageParams = new URLSearchParams(window.location.search);
  function decisionsHref(set, asOf) {
    var q = new URLSearchParams(pageParams);
    q.delete("in"); q.delete("lang");
    if (asOf) q.set("as_of", asOf);
    for (var k in set) q.set(k, set[k]);
    return "/records/decisions?" + q.toString();
  }
  function linked(cell, href) { cell.href = href; cell.linkClass = "figure-link"; return cell; }
  function tally(id, name, key) {
    return function (d) {
      C.fillTable(id, d.rows, function (r) {
        function h(set) { var o = {}; o[key] = r[key]; for (var k in set) o[k] = set[k]; return decisionsHref(o, d.as_of); }
        return [name(r, d), linked(C.n(r.decisions), h({})), linked(C.n(r.done), h({status: "done"})), linked(C.n(r.open), h({status: "open,in_progress"})),
          linked(C.n(r.overdue), h({flag: "overdue"}))];
      });
    };
  }
  C.load(url("sectors"), tally("table-sectors", function (r, d) { return (d.sector_names || {})[r.sector] || r.sector; }, "sector"), fail("table-sectors"));
  C.load(url("clauses"), tally("table-clauses", function (r, d) { var t = (d.clause_titles || {})[r.clause]; return t ? r.clause + " " + t : r.clause; }, "clause"), fail("table-clauses"));
})();
