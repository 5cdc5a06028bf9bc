// The analysts' partner-country page: for one country, its investors' leads
// and capex, the export deals with its buyers and the barriers it raised, its
// commissions and their execution, and all of these year by year; without a
// country, every partner country's headline figures. Each figure comes from
// its JSON endpoint under /api/countries/ (CSV with .csv), with the page's
// own filters. Plain SVG; amounts are exact decimal strings in the JSON and
// shown without going through floats, except for a bar's length.
(function () {
  "use strict";
  var C = window.econdipCharts;
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
  function num(v) { return {text: String(v), num: true}; }
  function usd(v) { return {text: C.money(v), num: true}; }
  function pct(s) { return s == null ? "–" : (Math.round(Number(s) * 1000) / 10).toFixed(1) + " %"; }
  function short(v) {
    var n = Number(v);
    if (n >= 1e9) return "USD " + (n / 1e9).toFixed(2) + " bn";
    if (n >= 1e6) return "USD " + (n / 1e6).toFixed(1) + " m";
    if (n >= 1e3) return "USD " + (n / 1e3).toFixed(0) + " k";
    return "USD " + n.toFixed(0);
  }
  function axis(v) {
    if (v >= 1e9) return (v / 1e9).toFixed(1) + " bn";
    if (v >= 1e6) return (v / 1e6).toFixed(0) + " m";
    if (v >= 1e3) return (v / 1e3).toFixed(0) + " k";
    return String(Math.round(v));
  }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function stage(s) { return s.replace(/_/g, " "); }
  // amount: a dollar amount in short, the exact one in its title (display only; the CSV is exact).
  function amount(v) { return {text: shortN(v), num: true, title: "USD " + C.money(v)}; }
  function shortN(v) { var n = Number(v); return n === 0 ? "0" : short(v).replace("USD ", ""); }
  function grouped(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  // fill is C.fillTable with a title on the cells that have one.
  function fill(id, rows, cells) {
    C.fillTable(id, rows, function (r) { return cells(r).map(function (c) { return c && typeof c === "object" ? {text: c.text, num: c.num, href: c.href} : c; }); });
    var trs = document.querySelectorAll("#" + id + " tbody tr");
    rows.forEach(function (r, i) {
      cells(r).forEach(function (c, j) { if (c && c.title && trs[i] && trs[i].cells[j]) trs[i].cells[j].title = c.title; });
    });
  }
  function noRate(n) { return n ? " · " + n + " without rate" : ""; }

  var page = document.getElementById("country-page");
  if (!page) {
    // Every partner country.
    C.load(url("overview"), function (d) {
      var shown = d.commissions_shown;
      fill("table-countries", d.rows, function (r) {
        var q = new URLSearchParams(window.location.search); q.set("country", r.country);
        var committed = amount(r.committed_usd), exports = amount(r.exports_usd);
        if (r.committed_without_rate) { committed.text += " *"; committed.title += "; " + r.committed_without_rate + " project(s) without a rate, not in the sum"; }
        if (r.deals_without_rate) { exports.text += " *"; exports.title += "; " + r.deals_without_rate + " deal(s) without a rate, not in the sum"; }
        var cells = [{text: r.name + " (" + r.country + ")", href: "/analyst/countries?" + q.toString()}, committed, num(r.projects),
          num(r.open_leads), amount(r.pipeline_weighted_usd), exports, amount(r.non_raw_usd), num(r.barriers_open), amount(r.open_value_at_stake_usd)];
        if (shown) {
          var e = r.execution;
          cells.push(r.commissions.join(", ") || "–", {text: e ? pct(e.rate) : "–", num: true}, {text: e ? String(e.overdue) : "–", num: true});
        }
        return cells;
      });
    }, fail("table-countries"));
    return;
  }
  var showCommissions = page.dataset.commissions === "true";

  C.load(url("summary"), function (d) {
    var r = d.rows[0];
    set("h-committed", short(r.committed_usd));
    set("h-committed-note", plural(r.projects, "project", "projects") + ", " + grouped(r.jobs) + " jobs expected" + noRate(r.committed_without_rate));
    set("h-pipeline", short(r.pipeline_weighted_usd));
    set("h-pipeline-note", plural(r.open_leads, "open lead", "open leads") + ", " + short(r.pipeline_usd) + " of capex before weighting");
    set("h-exports", short(r.exports_usd));
    set("h-exports-note", plural(r.deals, "signed deal", "signed deals") + ", " + short(r.non_raw_usd) + " non-raw" + noRate(r.deals_without_rate));
    set("h-barriers", String(r.barriers_open));
    set("h-barriers-note", "of " + plural(r.barriers, "barrier", "barriers") + " reported; " + short(r.open_value_at_stake_usd) + " at stake in the open ones");
    if (showCommissions) {
      var e = r.execution;
      set("h-execution", e ? pct(e.rate) : "–");
      set("h-execution-note", e ? r.commissions.join(", ") + ": " + e.done_on_time + " of " + e.due + " due decisions on time, " + e.overdue + " overdue" : "no intergovernmental commission with this country");
    }
  }, fail("headline"));

  // groupedBars draws, per year, a bar for each series side by side, with a legend.
  function groupedBars(container, years, series, label) {
    container.innerHTML = "";
    var any = series.some(function (s) { return years.some(function (y) { return Number(s.values[y] || 0) > 0; }); });
    if (!years.length || !any) { container.innerHTML = "<p class='muted'>Nothing to show for these filters.</p>"; return; }
    var W = Math.max(container.clientWidth || 0, 480), H = 250, L = 56, R = 10, T = 10, B = 46;
    var max = 0;
    series.forEach(function (s) { years.forEach(function (y) { max = Math.max(max, Number(s.values[y] || 0)); }); });
    var step = Math.pow(10, Math.floor(Math.log10(max))), nice = Math.ceil(max / step) * step;
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label});
    container.appendChild(svg); // in the page, so that text can be measured
    function py(v) { return T + (1 - v / nice) * (H - T - B); }
    [0, 0.25, 0.5, 0.75, 1].forEach(function (g) {
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: py(g * nice), y2: py(g * nice), stroke: "#e3e7eb"}));
      svg.appendChild(el("text", {x: L - 6, y: py(g * nice) + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6775"}, axis(g * nice)));
    });
    var band = (W - L - R) / years.length, bw = band * 0.8 / series.length;
    years.forEach(function (y, i) {
      var x0 = L + i * band + band * 0.1;
      series.forEach(function (s, j) {
        var v = Number(s.values[y] || 0), h = v / nice * (H - T - B);
        if (v <= 0) return;
        var r = el("rect", {x: x0 + j * bw, y: py(v), width: Math.max(bw - 1, 1), height: Math.max(h, 1), fill: s.colour});
        r.appendChild(el("title", {}, s.name + " " + y + ": USD " + C.money(s.values[y])));
        svg.appendChild(r);
      });
      svg.appendChild(el("text", {x: L + i * band + band / 2, y: H - B + 16, "text-anchor": "middle", "font-size": 11, fill: "#5b6775"}, String(y)));
    });
    var lx = L, ly = H - 8;
    series.forEach(function (s) {
      svg.appendChild(el("rect", {x: lx, y: ly - 10, width: 10, height: 10, fill: s.colour}));
      var t = el("text", {x: lx + 14, y: ly, "font-size": 11}, s.name);
      svg.appendChild(t);
      lx += 14 + (t.getComputedTextLength ? t.getComputedTextLength() : s.name.length * 6.2) + 16;
    });
  }

  C.load(url("years"), function (d) {
    var years = d.rows.map(function (r) { return r.year; }), by = function (k) { var o = {}; d.rows.forEach(function (r) { o[r.year] = r[k]; }); return o; };
    groupedBars(document.getElementById("chart-years"), years, [
      {name: "Investment committed", colour: "#1e6b8f", values: by("committed_usd")},
      {name: "Investment realised", colour: "#3d9c9c", values: by("realised_usd")},
      {name: "Exports signed", colour: "#c9822b", values: by("exports_usd")},
      {name: "of which non-raw", colour: "#2f8f5b", values: by("non_raw_usd")}
    ], "Investment and exports per year, USD");
    fill("table-years", d.rows, function (r) {
      var cells = [String(r.year), amount(r.committed_usd), num(r.projects), num(grouped(r.jobs)), amount(r.realised_usd), amount(r.exports_usd), amount(r.non_raw_usd),
        num(r.deals), num(r.barriers_reported), num(r.barriers_resolved)];
      if (showCommissions) {
        var e = r.execution || {due: 0, done_on_time: 0, rate: null};
        cells.push(num(e.due), num(e.done_on_time), {text: pct(e.rate), num: true});
      }
      return cells;
    });
  }, fail("chart-years"));

  C.load(url("pipeline"), function (d) {
    C.bars(document.getElementById("chart-pipeline"), d.rows.map(function (r) {
      return {label: stage(r.stage), value: Number(r.capex_usd), colour: r.stage === "lost" ? "#c7837c" : "#1e6b8f",
        text: short(r.capex_usd) + " · " + plural(r.leads, "lead", "leads") + noRate(r.leads_without_rate),
        title: stage(r.stage) + ": USD " + C.money(r.capex_usd) + ", weighted USD " + C.money(r.weighted_usd)};
    }), {label: "Capex of the country's investor leads by stage, USD"});
    C.fillTable("table-pipeline", d.rows, function (r) { return [stage(r.stage), num(r.leads), usd(r.capex_usd), usd(r.weighted_usd)]; });
  }, fail("chart-pipeline"));

  C.load(url("leads"), function (d) {
    set("leads-summary", "Every lead (" + d.rows.length + ")");
    C.fillTable("table-leads", d.rows, function (r) {
      return [r.title, r.investor_name || "–", r.sector_name, stage(r.stage), r.stage_day,
        {text: C.money(r.capex).replace(/\.00$/, "") + " " + r.currency, num: true}, {text: r.no_rate ? "no rate" : C.money(r.usd), num: true}, usd(r.weighted_usd)];
    });
  }, fail("table-leads"));

  C.load(url("deal-stages"), function (d) {
    C.bars(document.getElementById("chart-deal-stages"), d.rows.map(function (r) {
      return {label: stage(r.stage), value: Number(r.value_usd), colour: r.stage === "lost" ? "#c7837c" : "#c9822b",
        text: short(r.value_usd) + " · " + plural(r.deals, "deal", "deals") + noRate(r.deals_without_rate), title: stage(r.stage) + ": USD " + C.money(r.value_usd)};
    }), {label: "Export deals with the country by stage, USD"});
  }, fail("chart-deal-stages"));

  C.load(url("deal-sectors"), function (d) {
    C.fillTable("table-deal-sectors", d.rows, function (r) { return [r.sector_name || "No sector given", num(r.deals), usd(r.value_usd), usd(r.non_raw_usd)]; });
  }, fail("table-deal-sectors"));

  C.load(url("deals"), function (d) {
    set("deals-summary", "Every signed deal (" + d.rows.length + ")");
    C.fillTable("table-deals", d.rows, function (r) {
      return [r.exporter_name, r.hs_code, r.sector || "–", r.raw ? "raw" : "non-raw", r.stage, r.deal_date,
        {text: C.money(r.value).replace(/\.00$/, "") + " " + r.currency, num: true}, {text: r.no_rate ? "no rate" : C.money(r.usd), num: true}];
    });
  }, fail("table-deals"));

  C.load(url("barrier-types"), function (d) {
    C.fillTable("table-barrier-types", d.rows, function (r) {
      return [r.type_name || r.type, num(r.barriers), num(r.open), num(r.resolved), usd(r.open_value_at_stake_usd),
        {text: r.median_days_to_resolve == null ? "–" : String(r.median_days_to_resolve), num: true}];
    });
  }, fail("table-barrier-types"));

  C.load(url("barriers"), function (d) {
    var names = d.type_names || {};
    C.fillTable("table-barriers", d.rows, function (r) {
      return [r.title, names[r.type] || r.type, stage(r.status), r.reported_on, r.resolved_on || "–", r.lead_agency,
        {text: !r.has_value ? "–" : C.money(r.value).replace(/\.00$/, "") + " " + r.currency, num: true},
        {text: !r.has_value ? "–" : r.no_rate ? "no rate" : C.money(r.usd), num: true}];
    });
  }, fail("table-barriers"));

  if (showCommissions) {
    C.load(url("commissions"), function (d) {
      C.fillTable("table-commissions", d.rows, function (r) {
        return [r.name || r.commission_id, num(r.total), num(r.due), num(r.done_on_time), num(r.done_late), num(r.overdue), {text: pct(r.rate), num: true}];
      });
    }, fail("table-commissions"));
    C.load(url("overdue"), function (d) {
      C.fillTable("table-overdue", d.rows, function (r) {
        return [r.commission_id, String(r.session_number), r.item, r.text, r.agencies.join(", "), r.deadline.slice(0, 10), num(r.days_late)];
      });
    }, fail("table-overdue"));
  }
})();
