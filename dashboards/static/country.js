// The analysts' partner-country page: for one country, its investors' leads
// and capex, the export deals with its buyers and the barriers it raised, its
// commissions and their execution, and all of these year by year; without a
// country, every partner country's headline figures. Each figure comes from
// its JSON endpoint under /api/countries/ (CSV with .csv), with the page's
// own filters. Plain SVG; amounts are exact decimal strings in the JSON and
// shown without going through floats, except for a bar's length. Words,
// numbers and dates are the page's language's (window.econdipI18n).
(function () {
  "use strict";
  var C = window.econdipCharts, I = window.econdipI18n, U = window.econdipUnit, FONT = C.FONT;
  // KZT: every money figure of this page shows in tenge (?in=KZT); the JSON carries both units.
  var KZT = U.IN === "KZT";
  var NS = "http://www.w3.org/2000/svg";
  var query = new URLSearchParams(window.location.search).toString();
  function url(figure, csv) { return "/api/countries/" + figure + (csv ? ".csv" : "") + (query ? "?" + query : ""); }
  document.querySelectorAll("a.csv").forEach(function (a) { a.href = url(a.dataset.figure, true); });

  function fail(id) {
    return function (msg) {
      var e = document.getElementById(id); if (!e) return;
      var p = document.createElement("p"); p.className = "error"; p.textContent = msg;
      if (e.tagName === "TABLE") e.parentNode.insertBefore(p, e); else { e.innerHTML = ""; e.appendChild(p); }
    };
  }
  function set(id, text) { var e = document.getElementById(id); if (e) e.textContent = text; }
  var num = C.n, usd = C.usd;
  function pct(s) { return s == null ? "–" : I.pct(Number(s), 1); }
  // short: "3.5 m USD" for a headline or a chart (display only).
  function short(v) { return I.t("js.analyst.usd", C.compact(v)); }
  function money(v) { return C.money(v) + "\u00a0USD"; }
  // shortIn and moneyIn: the same in the page's unit.
  function shortIn(v) { return KZT ? I.t("js.kztpages2.kzt", C.compact(v)) : short(v); }
  function moneyIn(v) { return KZT ? C.money(v) + "\u00a0KZT" : money(v); }
  // pick is a figure's amount in the page's unit: the field k_usd, or k_kzt beside it.
  function pick(r, k) { return r[k + (KZT ? "_kzt" : "_usd")]; }
  // rates adds to a title or a note what notes says of the rates (stale, too old), and ⚠ to its text.
  function rates(cell, notes) { var n = notes ? U.note(notes) : ""; if (n) { cell.text += " \u26a0"; cell.title = (cell.title ? cell.title + "; " : "") + n; } return cell; }
  function ratesNote(notes) { var n = notes ? U.note(notes) : ""; return n ? " · \u26a0 " + n : ""; }
  function noRate(n) { return n ? " · " + I.t("js.analyst.exports.without_rate", I.num(n)) : ""; }
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function leadStage(s) { return I.label("lead_stage", s); }
  function dealStage(s) { return I.label("deal_stage", s); }
  // amount: a dollar amount in short, the exact one in its title, sorted by the exact one.
  function amount(v) { return {text: Number(v) === 0 ? I.num(0) : C.compact(v), num: true, title: moneyIn(v), sort: String(v)}; }
  // original: an amount in its own currency.
  function original(v, code) { return {text: I.money(v, code), num: true, sort: String(v)}; }
  // fill is C.fillTable with a title on the cells that have one.
  function fill(id, rows, cells) {
    var all = rows.map(cells);
    C.fillTable(id, all, function (r) { return r; });
    var trs = document.querySelectorAll("#" + id + " tbody tr");
    all.forEach(function (r, i) {
      r.forEach(function (c, j) { if (c && c.title && trs[i] && trs[i].cells[j]) trs[i].cells[j].title = c.title; });
    });
  }

  var page = document.getElementById("country-page");
  if (!page) {
    // Every partner country.
    C.load(url("overview"), function (d) {
      var shown = d.commissions_shown;
      fill("table-countries", d.rows, function (r) {
        var q = new URLSearchParams(window.location.search); q.set("country", r.country);
        var committed = rates(amount(pick(r, "committed")), r.committed_rates), exports = rates(amount(pick(r, "exports")), r.deals_rates);
        if (r.committed_without_rate) { committed.text += " *"; committed.title += "; " + I.t("js.country.projects_no_rate", I.num(r.committed_without_rate)); }
        if (r.deals_without_rate) { exports.text += " *"; exports.title += "; " + I.t("js.country.deals_no_rate", I.num(r.deals_without_rate)); }
        var cells = [{text: r.name, href: "/analyst/countries?" + q.toString()}, committed, num(r.projects),
          num(r.open_leads), rates(amount(pick(r, "pipeline_weighted")), r.pipeline_rates), exports, amount(pick(r, "non_raw")), num(r.barriers_open),
          rates(amount(pick(r, "open_value_at_stake")), r.open_value_rates)];
        if (shown) {
          var e = r.execution;
          cells.push(r.commissions.join(", ") || "–", e ? C.pct(e.rate, 1) : num(null), e ? num(e.overdue) : num(null));
        }
        return cells;
      });
    }, fail("table-countries"));
    return;
  }
  var showCommissions = page.dataset.commissions === "true";

  C.load(url("summary"), function (d) {
    var r = d.rows[0];
    set("h-committed", shortIn(pick(r, "committed")));
    set("h-committed-note", I.t("js.country.committed_note", I.num(r.projects), I.num(r.jobs)) + noRate(r.committed_without_rate) + ratesNote(r.committed_rates));
    set("h-pipeline", shortIn(pick(r, "pipeline_weighted")));
    set("h-pipeline-note", I.t("js.country.pipeline_note", I.num(r.open_leads), shortIn(pick(r, "pipeline"))) + noRate(r.pipeline_without_rate) + ratesNote(r.pipeline_rates));
    set("h-exports", shortIn(pick(r, "exports")));
    set("h-exports-note", I.t("js.country.exports_note", I.num(r.deals), shortIn(pick(r, "non_raw"))) + noRate(r.deals_without_rate) + ratesNote(r.deals_rates));
    set("h-barriers", I.num(r.barriers_open));
    set("h-barriers-note", I.t("js.country.barriers_note", I.num(r.barriers), shortIn(pick(r, "open_value_at_stake"))) + ratesNote(r.open_value_rates));
    if (showCommissions) {
      var e = r.execution;
      set("h-execution", e ? pct(e.rate) : "–");
      set("h-execution-note", e ? I.t("js.country.execution_note", r.commissions.join(", "), I.num(e.done_on_time), I.num(e.due), I.num(e.overdue)) :
        I.t("js.country.no_commission"));
    }
  }, fail("headline"));

  // groupedBars draws, per year, a bar for each series side by side, with a
  // legend under the plot that wraps at the chart's width.
  function groupedBars(container, years, series, label) {
    container.innerHTML = "";
    var any = series.some(function (s) { return years.some(function (y) { return Number(s.values[y] || 0) > 0; }); });
    if (!years.length || !any) { C.empty(container); return; }
    var svg = el("svg", {role: "img", "aria-label": label});
    container.appendChild(svg); // in the page, so that text can be measured
    function width(s) { var t = el("text", {"font-size": FONT, x: -1000, y: -1000}, s); svg.appendChild(t); var w = t.getComputedTextLength ? t.getComputedTextLength() : s.length * FONT * 0.6; svg.removeChild(t); return w; }
    var max = 0;
    series.forEach(function (s) { years.forEach(function (y) { max = Math.max(max, Number(s.values[y] || 0)); }); });
    var step = Math.pow(10, Math.floor(Math.log10(max))), nice = Math.ceil(max / step) * step;
    var grid = [0, 0.25, 0.5, 0.75, 1].map(function (g) { return {v: g * nice, text: C.compact(g * nice)}; });
    var W = C.room(container, 300), plotH = 200, T = 10, R = 10;
    var L = 10 + Math.max.apply(null, grid.map(function (g) { return width(g.text); }));
    function py(v) { return T + (1 - v / nice) * plotH; }
    grid.forEach(function (g) {
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: py(g.v), y2: py(g.v), stroke: "#e3e7eb"}));
      svg.appendChild(el("text", {x: L - 6, y: py(g.v) + 4, "text-anchor": "end", "font-size": FONT, fill: "#5b6775"}, g.text));
    });
    var band = (W - L - R) / years.length, bw = band * 0.8 / series.length;
    var every = Math.max(1, Math.ceil(FONT * 3.4 / band)); // a year label is about 3 em wide
    years.forEach(function (y, i) {
      var x0 = L + i * band + band * 0.1;
      series.forEach(function (s, j) {
        var v = Number(s.values[y] || 0), h = v / nice * plotH;
        if (v <= 0) return;
        var r = el("rect", {x: x0 + j * bw, y: py(v), width: Math.max(bw - 1, 1), height: Math.max(h, 1), fill: s.colour});
        r.appendChild(el("title", {}, s.name + " " + y + ": " + moneyIn(s.values[y])));
        svg.appendChild(r);
      });
      if (i % every === 0) svg.appendChild(el("text", {x: L + i * band + band / 2, y: T + plotH + 18, "text-anchor": "middle", "font-size": FONT, fill: "#5b6775"}, String(y)));
    });
    var lx = L, ly = T + plotH + 42;
    series.forEach(function (s) {
      var w = 16 + width(s.name) + 16;
      if (lx > L && lx + w > W) { lx = L; ly += 20; }
      svg.appendChild(el("rect", {x: lx, y: ly - 10, width: 11, height: 11, fill: s.colour}));
      svg.appendChild(el("text", {x: lx + 16, y: ly, "font-size": FONT}, s.name));
      lx += w;
    });
    C.fix(svg, W, ly + 8);
  }

  C.load(url("years"), function (d) {
    var years = d.rows.map(function (r) { return r.year; }), by = function (k) { var o = {}; d.rows.forEach(function (r) { o[r.year] = r[k]; }); return o; };
    groupedBars(document.getElementById("chart-years"), years, [
      {name: I.t("js.country.series_committed"), colour: "#1e6b8f", values: by(KZT ? "committed_kzt" : "committed_usd")},
      {name: I.t("js.country.series_realised"), colour: "#3d9c9c", values: by(KZT ? "realised_kzt" : "realised_usd")},
      {name: I.t("js.country.series_exports"), colour: "#c9822b", values: by(KZT ? "exports_kzt" : "exports_usd")},
      {name: I.t("js.country.series_non_raw"), colour: "#2f8f5b", values: by(KZT ? "non_raw_kzt" : "non_raw_usd")}
    ], I.t("js.country.years_chart"));
    fill("table-years", d.rows, function (r) {
      var cells = [{text: String(r.year), sort: String(r.year)}, rates(amount(pick(r, "committed")), r.committed_rates), num(r.projects), num(r.jobs),
        rates(amount(pick(r, "realised")), r.realised_rates), rates(amount(pick(r, "exports")), r.deals_rates),
        amount(pick(r, "non_raw")), num(r.deals), num(r.barriers_reported), num(r.barriers_resolved)];
      if (showCommissions) {
        var e = r.execution || {due: 0, done_on_time: 0, rate: null};
        cells.push(num(e.due), num(e.done_on_time), C.pct(e.rate, 1));
      }
      return cells;
    });
  }, fail("chart-years"));

  function order(rows) { return function (r) { return String(rows.indexOf(r)); }; }

  // Issue 18: a number of records opens their list (/records/…) with the page's country, post (and years where the figure has them).
  var pageParams = new URLSearchParams(window.location.search);
  function listOf(kind, cell, set, countryKey, withYears) {
    var q = new URLSearchParams();
    if (pageParams.get("country")) q.set(countryKey, pageParams.get("country"));
    if (pageParams.get("post")) q.set("post", pageParams.get("post"));
    if (withYears && pageParams.get("years")) q.set("years", pageParams.get("years"));
    for (var k in set) q.set(k, set[k]);
    cell.href = "/records/" + kind + "?" + q.toString(); cell.linkClass = "figure-link";
    return cell;
  }

  C.load(url("pipeline"), function (d) {
    C.bars(document.getElementById("chart-pipeline"), d.rows.map(function (r) {
      var note = C.rateNote(r);
      return {label: leadStage(r.stage), value: Number(pick(r, "capex")), colour: r.stage === "lost" ? "#c7837c" : "#1e6b8f",
        text: shortIn(pick(r, "capex")) + " · " + I.t("js.country.leads", I.num(r.leads)) + noRate(r.leads_without_rate) + (note ? " \u26a0" : ""),
        title: I.t("js.country.stage_title", leadStage(r.stage), moneyIn(pick(r, "capex")), moneyIn(pick(r, "weighted"))) + (note ? "; " + note : "")};
    }), {label: I.t(KZT ? "js.kztlast.pipeline_chart_kzt" : "js.country.pipeline_chart")});
    var at = order(d.rows);
    C.fillTable("table-pipeline", d.rows, function (r) {
      return [{text: leadStage(r.stage), sort: at(r)}, listOf("leads", num(r.leads), {stage: r.stage}, "country", false), U.amount(r, "capex_usd", "capex_kzt"), usd(pick(r, "weighted")), C.staleCell(r)];
    });
  }, fail("chart-pipeline"));

  C.load(url("leads"), function (d) {
    set("leads-summary", I.t("js.country.every_lead", I.num(d.rows.length)));
    C.fillTable("table-leads", d.rows, function (r) {
      return [{text: r.title, href: "/records/lead/" + r.lead_id, linkClass: "record-link"}, r.investor_name || "–", r.sector_name, leadStage(r.stage), C.day(r.stage_day), original(r.capex, r.currency),
        U.record(r, "usd", "kzt", r.no_rate), usd(KZT ? r.weighted_kzt : r.weighted_usd), U.rateDay(r)];
    });
  }, fail("table-leads"));

  C.load(url("deal-stages"), function (d) {
    C.bars(document.getElementById("chart-deal-stages"), d.rows.map(function (r) {
      var note = C.rateNote(r);
      return {label: dealStage(r.stage), value: Number(pick(r, "value")), colour: r.stage === "lost" ? "#c7837c" : "#c9822b",
        text: shortIn(pick(r, "value")) + " · " + I.t("js.analyst.exports.deals", I.num(r.deals)) + noRate(r.deals_without_rate) + (note ? " \u26a0" : ""),
        title: dealStage(r.stage) + ": " + moneyIn(pick(r, "value")) + (note ? "; " + note : "")};
    }), {label: I.t(KZT ? "js.kztlast.deal_stages_chart_kzt" : "js.country.deal_stages_chart")});
  }, fail("chart-deal-stages"));

  C.load(url("deal-sectors"), function (d) {
    C.fillTable("table-deal-sectors", d.rows, function (r) { return [r.sector_name || r.sector, listOf("deals", num(r.deals), {sector: r.sector}, "buyer_country", true), U.amount(r, "value_usd", "value_kzt"), usd(pick(r, "non_raw")), C.staleCell(r)]; });
  }, fail("table-deal-sectors"));

  C.load(url("deals"), function (d) {
    var sectors = d.sector_names || {};
    set("deals-summary", I.t("js.country.every_deal", I.num(d.rows.length)));
    C.fillTable("table-deals", d.rows, function (r) {
      return [{text: r.exporter_name, href: "/records/deal/" + r.deal_id, linkClass: "record-link"}, r.hs_code, r.sector ? sectors[r.sector] || r.sector : "–", I.t(r.raw ? "js.analyst.exports.raw" : "js.analyst.exports.non_raw"),
        dealStage(r.stage), C.day(r.deal_date), original(r.value, r.currency), U.record(r, "usd", "kzt", r.no_rate), U.rateDay(r)];
    });
  }, fail("table-deals"));

  C.load(url("barrier-types"), function (d) {
    C.fillTable("table-barrier-types", d.rows, function (r) {
      return [I.label("barrier_type", r.type), listOf("barriers", num(r.barriers), {type: r.type}, "country", false), listOf("barriers", num(r.open), {type: r.type, state: "open"}, "country", false), listOf("barriers", num(r.resolved), {type: r.type, state: "resolved"}, "country", false), U.amount(r, "open_value_at_stake_usd", "open_value_at_stake_kzt"), num(r.median_days_to_resolve)];
    });
  }, fail("table-barrier-types"));

  C.load(url("barriers"), function (d) {
    var agencies = d.agency_names || {};
    C.fillTable("table-barriers", d.rows, function (r) {
      return [{text: r.title, href: "/records/barrier/" + r.barrier_id, linkClass: "record-link"}, I.label("barrier_type", r.type), I.label("barrier_status", r.status), C.day(r.reported_on), C.day(r.resolved_on),
        agencies[r.lead_agency] || r.lead_agency || "–",
        r.has_value ? original(r.value, r.currency) : num(null),
        !r.has_value ? num(null) : U.record(r, "usd", "kzt", r.no_rate), r.has_value ? U.rateDay(r) : num(null)];
    });
  }, fail("table-barriers"));

  if (showCommissions) {
    C.load(url("commissions"), function (d) {
      C.fillTable("table-commissions", d.rows, function (r) {
        return [r.name || r.commission_id, num(r.total), num(r.due), num(r.done_on_time), num(r.done_late), num(r.overdue), C.pct(r.rate, 1)];
      });
    }, fail("table-commissions"));
    C.load(url("overdue"), function (d) {
      var commissions = d.commission_names || {}, agencies = d.agency_names || {};
      C.fillTable("table-overdue", d.rows, function (r) {
        return [commissions[r.commission_id] || r.commission_id, num(r.session_number), r.item,
          {text: r.text, href: "/records/decision/" + encodeURIComponent(r.commission_id) + "/" + encodeURIComponent(r.decision_id), linkClass: "record-link"},
          r.agencies.map(function (a) { return agencies[a] || a; }).join(", "), C.day(r.deadline), num(r.days_late)];
      });
    }, fail("table-overdue"));
  }
})();
