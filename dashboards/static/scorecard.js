// The analysts' Concept scorecard: a line per sector (and per clause) and
// metric with the year's target, actual figure, share, status, trend and
// 2030 forecast, from /api/scorecard/rows; with one sector or clause chosen,
// a chart per metric of the actual figures against the targets and the
// forecast (targets from /api/scorecard/targets); and, when the URL names a
// figure (drill_scope, drill_code, drill_metric, drill_year), the leads or
// deals behind it from /api/scorecard/records. Every figure links to its
// records; every table has its CSV. Amounts are exact decimal strings in the
// JSON, shown without going through floats except for a bar's length.
(function () {
  "use strict";
  var C = window.econdipCharts, I = window.econdipI18n, FONT = C.FONT;
  var NS = "http://www.w3.org/2000/svg";
  var params = new URLSearchParams(window.location.search);
  var FILTERS = ["year", "edition", "sector", "clause", "country", "post", "in"];
  // IN is the unit of money on the page: USD, or KZT with ?in=KZT (kept in every link).
  var IN = params.get("in") === "KZT" ? "KZT" : "USD";
  var filters = new URLSearchParams();
  FILTERS.forEach(function (k) { if (params.get(k)) filters.set(k, params.get(k)); });
  var sector = params.get("sector") || "", clause = params.get("clause") || "";
  var focus = (sector ? 1 : 0) + (clause ? 1 : 0) === 1 ? {scope: sector ? "sector" : "clause", code: sector || clause} : null;
  var FIRST = 2020, HORIZON = 2030;

  function api(figure, csv, extra) {
    var q = new URLSearchParams(filters);
    for (var k in extra || {}) q.set(k, extra[k]);
    var s = q.toString();
    return "/api/scorecard/" + figure + (csv ? ".csv" : "") + (s ? "?" + s : "");
  }
  // page is this page's address with the filters, changed by set (a null value drops the parameter).
  function page(set) {
    var q = new URLSearchParams(filters);
    ["drill_scope", "drill_code", "drill_metric", "drill_year"].forEach(function (k) { if (params.get(k)) q.set(k, params.get(k)); });
    for (var k in set) { if (set[k] == null || set[k] === "") q.delete(k); else q.set(k, set[k]); }
    var s = q.toString();
    return "/analyst/scorecard" + (s ? "?" + s : "");
  }
  // drillHref is the address that shows the records behind one figure.
  function drillHref(row, year) {
    return page({drill_scope: row.scope, drill_code: row.code, drill_metric: row.metric, drill_year: year}) + "#records";
  }
  // focusHref is the address of one sector's or clause's scorecard.
  function focusHref(row) {
    var set = {sector: null, clause: null, drill_scope: null, drill_code: null, drill_metric: null, drill_year: null};
    set[row.scope] = row.code;
    return page(set);
  }
  document.querySelectorAll("a.csv[data-figure]").forEach(function (a) {
    a.href = api(a.dataset.figure, true, a.dataset.scope ? {scope: a.dataset.scope} : {});
  });

  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "className") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function fail(id) {
    return function (msg) { var e = document.getElementById(id); if (!e) return; e.innerHTML = ""; e.appendChild(h("p", {className: "error", text: msg})); };
  }
  function set(id, text) { document.getElementById(id).textContent = text; }

  // money units: a line in USD or KZT (the others are counts).
  function isMoney(unit) { return unit === "USD" || unit === "KZT"; }
  // grouped writes an integer with the language's thousands separators.
  function grouped(s) { return I.num(Math.trunc(Number(s))); }
  // short: "1.25 bn", "12.3 m", "450 k" for dollars, grouped digits for counts (display only).
  function short(v, unit) {
    if (v == null) return "–";
    if (!isMoney(unit)) return grouped(Math.round(Number(v)));
    return C.compact(v);
  }
  // exact: the value to the cent (dollars) or the unit (counts), for titles and tables.
  function exact(v, unit) {
    if (v == null) return I.t("js.analyst.scorecard.none");
    return isMoney(unit) ? C.money(v) + "\u00a0" + unit : grouped(v);
  }
  // cents adds decimal strings with at most two places, exactly.
  function addCents(a, b) {
    function c(s) { s = String(s); var neg = s.charAt(0) === "-"; if (neg) s = s.slice(1); var p = s.split("."); var v = BigInt(p[0] + ((p[1] || "") + "00").slice(0, 2)); return neg ? -v : v; }
    var t = c(a) + c(b), neg = t < 0n; if (neg) t = -t;
    var s = t.toString().padStart(3, "0");
    return (neg ? "-" : "") + s.slice(0, -2) + "." + s.slice(-2);
  }

  // axisLabel writes a gridline's value: "1.5 bn", "200 m", "50 k", "12".
  function axisLabel(v, unit) {
    function trim(x) { return I.num(Math.round(x * 100) / 100); }
    if (!isMoney(unit)) return grouped(Math.round(v));
    if (v >= 1e9) return I.t("js.analyst.bn", trim(v / 1e9));
    if (v >= 1e6) return I.t("js.analyst.m", trim(v / 1e6));
    if (v >= 1e3) return I.t("js.analyst.k", trim(v / 1e3));
    return trim(v);
  }
  // niceStep is a step of 1, 2, 2.5 or 5 × 10^k that covers max in four (whole steps for counts).
  function niceStep(max, unit) {
    var raw = max / 4 || 1, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = isMoney(unit) ? [1, 2, 2.5, 3, 5, 10] : [1, 2, 3, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * mag >= raw) return isMoney(unit) ? steps[i] * mag : Math.max(1, Math.ceil(steps[i] * mag));
    return 10 * mag;
  }
  // clip shortens a clause's title at a word, for a table's first column.
  function clip(s, n) {
    if (s.length <= n) return s;
    var cut = s.slice(0, n), sp = cut.lastIndexOf(" ");
    return (sp > n / 2 ? cut.slice(0, sp) : cut).replace(/[,;:(]+$/, "") + "…";
  }

  var STATUS = {green: [I.t("js.analyst.scorecard.on_target"), "s-green"], amber: [I.t("js.analyst.scorecard.close"), "s-amber"],
    red: [I.t("js.analyst.scorecard.behind"), "s-red"], none: [I.t("js.analyst.scorecard.no_target"), "s-none"]};
  var OUTLOOK = {on_track: [I.t("js.analyst.scorecard.on_track"), "s-green"], at_risk: [I.t("js.analyst.scorecard.at_risk"), "s-amber"],
    off_track: [I.t("js.analyst.scorecard.off_track"), "s-red"], none: [I.t("js.analyst.scorecard.no_2030"), "s-none"]};
  function measureName(r) { return r.metric_name + (isMoney(r.unit) ? ", " + r.unit : ""); }
  var rateNote = C.rateNote; // charts.js: shared with the other money pages
  // rateCell is a record's rate day, flagged when older than the stale limit or past the hard limit.
  function rateCell(r) {
    if (r.rate_too_old) return {text: I.t("js.analyst.scorecard.too_old_cell", C.day(r.rate_day).text || r.rate_day, I.num(r.rate_age_days)), sort: r.rate_day || "", className: "stale"};
    if (r.stale_rate) return {text: I.t("js.analyst.scorecard.stale_cell", C.day(r.rate_day).text || r.rate_day, I.num(r.rate_age_days)), sort: r.rate_day || "", className: "stale"};
    return C.day(r.rate_day);
  }
  // amountCell is a record's amount in the page's unit.
  function amountCell(r) {
    if (r.no_rate) return {text: r.rate_too_old ? I.t("js.analyst.scorecard.too_old_short") : I.t("js.analyst.scorecard.no_rate_cell"), num: true, sort: ""};
    return C.usd(IN === "KZT" ? r.kzt : r.usd);
  }
  var SHOW = I.t("js.analyst.scorecard.show_records");
  function badge(map, key, title) {
    var m = map[key] || [key, "s-none"];
    var b = h("span", {className: "status " + m[1], text: m[0]});
    if (title) b.title = title;
    return b;
  }

  // sparkline: a small bar per year of the trend, each a link to its records.
  function sparkline(row) {
    var w = 118, ht = 30, n = row.trend.length, gap = 2, bw = Math.max(3, (w - gap * (n - 1)) / n);
    var values = row.trend.map(function (p) { return Number(p.value); });
    var max = Math.max.apply(null, values.concat(row.target == null ? [] : [Number(row.target)])) || 1;
    var svg = el("svg", {width: w, height: ht, viewBox: "0 0 " + w + " " + ht, role: "img", class: "spark",
      "aria-label": I.t("js.analyst.scorecard.spark_label", row.metric_name, FIRST, row.trend[n - 1].year)});
    row.trend.forEach(function (p, i) {
      var v = values[i], bh = v > 0 ? Math.max(2, v / max * (ht - 2)) : 1;
      var a = el("a", {href: drillHref(row, p.year)});
      var r = el("rect", {x: i * (bw + gap), y: ht - bh, width: bw, height: bh, fill: i === n - 1 ? "#1e6b8f" : "#9fc2d3"});
      r.appendChild(el("title", {}, p.year + ": " + exact(p.value, row.unit) + " " + SHOW));
      a.appendChild(r);
      svg.appendChild(a);
    });
    return svg;
  }

  var rowsByKey = {};
  function key(scope, code, metric) { return scope + "|" + code + "|" + metric; }

  function fillScorecard(id, rows, scope) {
    var body = document.querySelector("#" + id + " tbody");
    body.innerHTML = "";
    if (!rows.length) {
      body.appendChild(h("tr", {}, [h("td", {colspan: 10, className: "muted", text: I.t("js.analyst.nothing_to_show")})]));
      return;
    }
    var groups = [], last = null;
    rows.forEach(function (r) { if (!last || last.code !== r.code) { last = {code: r.code, rows: []}; groups.push(last); } last.rows.push(r); });
    groups.forEach(function (g) {
      g.rows.forEach(function (r, i) {
        var tr = h("tr", {"data-code": r.code, "data-metric": r.metric});
        if (i === 0) {
          tr.className = "group-start";
          var label = scope === "clause" ? r.code + " " + r.name : r.name;
          tr.appendChild(h("th", {scope: "rowgroup", rowspan: g.rows.length, className: "name"},
            [h("a", {href: focusHref(r), text: clip(label, 64), title: I.t("js.analyst.scorecard.only_this", label)})]));
        }
        tr.appendChild(h("td", {className: "measure", text: measureName(r)}));
        var target = h("td", {className: "num", text: short(r.target, r.unit)});
        if (r.target != null) target.title = exact(r.target, r.unit) + " · " + I.t("js.analyst.scorecard.edition", r.target_edition) + (r.target_demo ? " · " + I.t("js.analyst.scorecard.demo_target") : "");
        tr.appendChild(target);
        var actual = h("a", {href: drillHref(r, r.trend[r.trend.length - 1].year), className: "figure", text: short(r.actual, r.unit),
          title: I.t("js.analyst.scorecard.actual_title", exact(r.actual, r.unit), I.num(r.records)) + (r.no_rate ? "; " + I.t("js.analyst.scorecard.no_rate_sum", I.num(r.no_rate)) : "") + " " + SHOW});
        var note = rateNote(r);
        var cell = h("td", {className: "num"}, [actual, r.no_rate ? h("span", {className: "norate", text: " *", title: I.t("js.analyst.scorecard.no_rate", I.num(r.no_rate))}) : null,
          note ? h("span", {className: "stale", text: " \u26a0", title: note}) : null]);
        // The non-raw exports measure: the deals' figure says its source, and
        // the BNS statistics, where imported, add a second line (the server
        // gives it in the USD view only: the statistics are dollars).
        if (r.metric === "non_raw_exports_usd") {
          cell.appendChild(h("span", {className: "source muted small", text: " " + I.t("js.trade.source_deals")}));
          var b = r.realised_bns;
          if (b) {
            cell.appendChild(h("br"));
            cell.appendChild(h("span", {className: "realised-bns status-" + b.status, text: I.t("js.trade.realised_line", short(b.value, r.unit),
              b.percent == null ? "–" : I.pct(Number(b.percent) / 100, 1)),
              title: I.t("js.trade.realised_title", exact(b.value, r.unit), b.months.join(", "))}));
          }
        }
        tr.appendChild(cell);
        tr.appendChild(h("td", {className: "num", text: r.percent == null ? "–" : I.pct(Number(r.percent) / 100, 1)}));
        var st = h("td", {className: "status-cell"}, [badge(STATUS, r.status, r.expected != null ? I.t("js.analyst.scorecard.expected_title", exact(r.expected, r.unit)) : "")]);
        if (r.expected != null && r.target != null && r.expected !== r.target) st.appendChild(h("span", {className: "expected", text: I.t("js.analyst.scorecard.expected", short(r.expected, r.unit))}));
        tr.appendChild(st);
        tr.appendChild(h("td", {className: "trend"}, [sparkline(r)]));
        var fc = h("td", {className: "num", text: short(r.forecast, r.unit), title: exact(r.forecast, r.unit) +
          (Number(r.pipeline_added) ? ", " + I.t("js.analyst.scorecard.pipeline_added", C.money(r.pipeline_added) + "\u00a0" + r.unit) : "")});
        tr.appendChild(fc);
        tr.appendChild(h("td", {className: "num", text: short(r.target_2030, r.unit), title: r.target_2030 == null ? "" : exact(r.target_2030, r.unit)}));
        tr.appendChild(h("td", {}, [badge(OUTLOOK, r.status_2030)]));
        body.appendChild(tr);
      });
    });
  }

  function headline(rows) {
    var n = {green: 0, amber: 0, red: 0, none: 0}, o = {on_track: 0, at_risk: 0, off_track: 0, none: 0};
    rows.forEach(function (r) { n[r.status] = (n[r.status] || 0) + 1; o[r.status_2030] = (o[r.status_2030] || 0) + 1; });
    var withTarget = n.green + n.amber + n.red;
    set("h-green", withTarget ? I.t("js.analyst.scorecard.n_of", I.num(n.green), I.num(withTarget)) : "–");
    set("h-green-note", withTarget ? I.t("js.analyst.scorecard.with_target") + (n.none ? "; " + I.t("js.analyst.scorecard.without_target", I.num(n.none)) : "") : I.t("js.analyst.scorecard.no_figure_target"));
    set("h-amber", I.num(n.amber));
    set("h-amber-note", I.t("js.analyst.scorecard.amber_note", I.pct(0.8, 0)));
    set("h-red", I.num(n.red));
    set("h-red-note", I.t("js.analyst.scorecard.red_note", I.pct(0.8, 0)));
    var with2030 = o.on_track + o.at_risk + o.off_track;
    set("h-outlook", with2030 ? I.t("js.analyst.scorecard.on_track_of", I.num(o.on_track), I.num(with2030)) : "–");
    set("h-outlook-note", with2030 ? I.t("js.analyst.scorecard.outlook_note", I.num(o.at_risk), I.num(o.off_track)) : I.t("js.analyst.scorecard.no_figure_2030"));
  }

  var rowsLoaded = new Promise(function (resolve) {
    C.load(api("rows"), function (d) {
      d.rows.forEach(function (r) { rowsByKey[key(r.scope, r.code, r.metric)] = r; });
      headline(d.rows);
      var sectors = d.rows.filter(function (r) { return r.scope === "sector"; }), clauses = d.rows.filter(function (r) { return r.scope === "clause"; });
      fillScorecard("table-sector", sectors, "sector");
      fillScorecard("table-clause", clauses, "clause");
      // With one sector (or clause) chosen, the other table has nothing to show.
      if (sector && !clause) document.getElementById("card-clause").hidden = true;
      if (clause && !sector) document.getElementById("card-sector").hidden = true;
      resolve(d);
    }, function (msg) { fail("card-sector")(msg); fail("headline")(msg); resolve(null); });
  });

  // targetChart draws one metric of one sector or clause: the actual figure
  // of each year as a bar (a link to its records), the targets as marks, and
  // the 2030 forecast as a diamond.
  function targetChart(container, row, targets) {
    container.innerHTML = "";
    var W = Math.max(container.clientWidth || 0, 320), H = 230, R = 10, T = 12, B = 44;
    var years = []; for (var y = FIRST; y <= HORIZON; y++) years.push(y);
    var values = row.trend.map(function (p) { return Number(p.value); });
    var all = values.concat(Object.keys(targets).map(function (k) { return Number(targets[k]); }), [Number(row.forecast)]);
    var max = Math.max.apply(null, all) || 1;
    var nice = niceStep(max, row.unit) * 4;
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": I.t("js.analyst.scorecard.chart_label", row.metric_name)});
    container.appendChild(svg); // in the page, so that text can be measured
    var L = 10 + Math.max.apply(null, [0, 0.25, 0.5, 0.75, 1].map(function (g) {
      var t = el("text", {"font-size": FONT}, axisLabel(g * nice, row.unit)); svg.appendChild(t);
      var w = t.getComputedTextLength ? t.getComputedTextLength() : 40; svg.removeChild(t); return w;
    }));
    var band = (W - L - R) / years.length;
    function px(yr) { return L + (yr - FIRST) * band; }
    function py(v) { return T + (1 - v / nice) * (H - T - B); }
    [0, 0.25, 0.5, 0.75, 1].forEach(function (g) {
      var v = g * nice;
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: py(v), y2: py(v), stroke: "#e3e7eb"}));
      svg.appendChild(el("text", {x: L - 6, y: py(v) + 4, "text-anchor": "end", "font-size": FONT, fill: "#5b6775"}, axisLabel(v, row.unit)));
    });
    var every = Math.max(1, Math.ceil(FONT * 3.2 / band));
    years.forEach(function (yr, i) {
      if (i % every === 0 || yr === HORIZON) svg.appendChild(el("text", {x: px(yr) + band / 2, y: H - B + 16, "text-anchor": "middle", "font-size": FONT, fill: "#5b6775"}, String(yr)));
    });
    row.trend.forEach(function (p, i) {
      var v = values[i], bh = Math.max(v > 0 ? 1.5 : 0, v / nice * (H - T - B));
      var a = el("a", {href: drillHref(row, p.year)});
      var r = el("rect", {x: px(p.year) + band * 0.18, y: py(0) - bh, width: band * 0.64, height: Math.max(bh, 0.5), fill: "#1e6b8f", "data-year": p.year});
      r.appendChild(el("title", {}, p.year + ": " + exact(p.value, row.unit) + " " + SHOW));
      a.appendChild(r);
      svg.appendChild(a);
    });
    Object.keys(targets).forEach(function (k) {
      var yr = Number(k), v = Number(targets[k]);
      var t = el("line", {x1: px(yr) + band * 0.08, x2: px(yr) + band * 0.92, y1: py(v), y2: py(v), stroke: "#c9822b", "stroke-width": 3});
      t.appendChild(el("title", {}, I.t("js.analyst.scorecard.target_of", yr, exact(targets[k], row.unit))));
      svg.appendChild(t);
    });
    var fx = px(HORIZON) + band / 2, fy = py(Number(row.forecast)), d = 6;
    var dia = el("path", {d: "M" + fx + " " + (fy - d) + " L" + (fx + d) + " " + fy + " L" + fx + " " + (fy + d) + " L" + (fx - d) + " " + fy + " Z",
      fill: "#fff", stroke: "#8a4f9e", "stroke-width": 2});
    dia.appendChild(el("title", {}, I.t("js.analyst.scorecard.forecast_of", exact(row.forecast, row.unit))));
    svg.appendChild(dia);
    var lx = L, ly = H - 9;
    [["rect", I.t("js.analyst.scorecard.actual"), "#1e6b8f"], ["line", I.t("js.analyst.scorecard.target"), "#c9822b"], ["diamond", I.t("js.analyst.scorecard.forecast_2030"), "#8a4f9e"]].forEach(function (it) {
      if (it[0] === "rect") svg.appendChild(el("rect", {x: lx, y: ly - 9, width: 10, height: 10, fill: it[2]}));
      else if (it[0] === "line") svg.appendChild(el("line", {x1: lx, x2: lx + 12, y1: ly - 4, y2: ly - 4, stroke: it[2], "stroke-width": 3}));
      else svg.appendChild(el("path", {d: "M" + (lx + 5) + " " + (ly - 9) + " L" + (lx + 10) + " " + (ly - 4) + " L" + (lx + 5) + " " + (ly + 1) + " L" + lx + " " + (ly - 4) + " Z", fill: "#fff", stroke: it[2], "stroke-width": 1.5}));
      var t = el("text", {x: lx + 16, y: ly, "font-size": FONT}, it[1]);
      svg.appendChild(t);
      lx += 16 + (t.getComputedTextLength ? t.getComputedTextLength() : it[1].length * 6.2) + 14;
    });
  }

  function showFocus(d, targetRows) {
    var rows = d.rows.filter(function (r) { return r.scope === focus.scope && r.code === focus.code; });
    var section = document.getElementById("focus");
    section.hidden = false;
    var name = rows.length ? (focus.scope === "clause" ? focus.code + " " + rows[0].name : rows[0].name) : focus.code;
    set("focus-title", I.t("js.analyst.scorecard.focus_title", name));
    var byMetric = {};
    targetRows.forEach(function (t) { if (t.scope === focus.scope && t.code === focus.code) (byMetric[t.metric] = byMetric[t.metric] || {})[t.year] = t.value; });
    var charts = document.getElementById("focus-charts");
    charts.innerHTML = "";
    if (!rows.length) { charts.appendChild(h("p", {className: "muted", text: I.t("js.analyst.nothing_to_show")})); }
    rows.forEach(function (r) {
      var box = h("figure", {className: "chart-box", "data-metric": r.metric}, [
        h("figcaption", {}, [h("strong", {text: measureName(r)}), " ", badge(OUTLOOK, r.status_2030)]),
        h("div", {className: "chart"})]);
      charts.appendChild(box);
      targetChart(box.querySelector(".chart"), r, byMetric[r.metric] || {});
    });
    // Year by year: per metric, the actual figures (links to the records), then the targets.
    var head = document.querySelector("#table-years thead tr"), body = document.querySelector("#table-years tbody");
    head.innerHTML = ""; body.innerHTML = "";
    head.appendChild(h("th", {text: I.t("js.analyst.scorecard.measure")}));
    head.appendChild(h("th", {text: ""}));
    for (var y = FIRST; y <= HORIZON; y++) head.appendChild(h("th", {className: "num", text: String(y)}));
    rows.forEach(function (r) {
      var a = h("tr", {className: "group-start"}, [h("th", {rowspan: 2, scope: "rowgroup", text: measureName(r)}), h("td", {className: "muted", text: I.t("js.analyst.scorecard.actual_row")})]);
      for (var y = FIRST; y <= HORIZON; y++) {
        var p = r.trend[y - FIRST];
        if (p) a.appendChild(h("td", {className: "num"}, [h("a", {href: drillHref(r, y), text: short(p.value, r.unit), title: exact(p.value, r.unit) + " (show the records)"})]));
        else if (y === HORIZON) a.appendChild(h("td", {className: "num forecast", text: short(r.forecast, r.unit), title: I.t("js.analyst.scorecard.forecast_of", exact(r.forecast, r.unit))}));
        else a.appendChild(h("td", {className: "num muted", text: ""}));
      }
      var t = h("tr", {}, [h("td", {className: "muted", text: I.t("js.analyst.scorecard.target_row")})]);
      var ts = byMetric[r.metric] || {};
      for (y = FIRST; y <= HORIZON; y++) t.appendChild(h("td", {className: "num target", text: ts[y] == null ? "–" : short(ts[y], r.unit), title: ts[y] == null ? "" : exact(ts[y], r.unit)}));
      body.appendChild(a);
      body.appendChild(t);
    });
  }

  if (focus) {
    rowsLoaded.then(function (d) {
      if (!d) return;
      C.load(api("targets"), function (t) { showFocus(d, t.rows); }, fail("focus-charts"));
    });
  }

  // The records behind one figure.
  var rec = document.getElementById("records");
  if (rec) {
    var drill = {scope: rec.dataset.scope, code: rec.dataset.code, metric: rec.dataset.metric, year: rec.dataset.year};
    var q = {scope: drill.scope, code: drill.code, metric: drill.metric, year: drill.year};
    var recFilters = new URLSearchParams();
    ["country", "post", "in"].forEach(function (k) { if (filters.get(k)) recFilters.set(k, filters.get(k)); });
    for (var k in q) recFilters.set(k, q[k]);
    document.getElementById("records-csv").href = "/api/scorecard/records.csv?" + recFilters.toString();
    document.getElementById("records-close").href = page({drill_scope: null, drill_code: null, drill_metric: null, drill_year: null});
    // The same records as a list of their own (issue 18): sorted, paged, CSV, each row a record page.
    var listLink = document.getElementById("records-list");
    if (listLink) {
      var lq = new URLSearchParams(), investment = ["investment_committed_usd", "investment_realised_usd", "projects", "jobs"].indexOf(drill.metric) >= 0;
      if (filters.get("post")) lq.set("post", filters.get("post"));
      if (filters.get("country")) lq.set(investment ? "country" : "buyer_country", filters.get("country"));
      lq.set(drill.scope === "clause" ? "clause" : "sector", drill.code);
      lq.set("years", drill.year);
      if (investment) lq.set("metric", drill.metric === "investment_realised_usd" ? "realised" : "committed");
      else { lq.set("stage", "contracted,shipped,paid"); if (drill.metric === "non_raw_exports_usd") lq.set("raw", "0"); }
      listLink.href = (investment ? "/records/leads?" : "/records/deals?") + lq.toString();
    }
    C.load("/api/scorecard/records?" + recFilters.toString(), function (d) {
      var f = d.figure, rows = d.rows, unit = f.unit;
      set("records-title", I.t("js.analyst.scorecard.records_title", f.metric_name, f.year, f.scope === "clause" ? f.code + " " + f.name : f.name));
      var head = document.querySelector("#table-records thead tr");
      head.innerHTML = "";
      var summary;
      if (d.kind === "investment") {
        [I.t("js.analyst.scorecard.col_lead"), I.t("js.analyst.scorecard.col_post"), I.t("js.analyst.scorecard.col_entered", I.label("lead_stage", d.entered_stage)), I.t("js.analyst.scorecard.col_stage_now"),
          I.t("js.analyst.scorecard.col_jobs"), I.t("js.analyst.scorecard.col_capex"), IN, I.t("js.analyst.scorecard.col_rate_day")].forEach(function (c, i) {
          head.appendChild(h("th", {className: i >= 4 && i <= 6 ? "num" : "", text: c}));
        });
        var usd = "0", jobs = 0, noRate = 0;
        rows.forEach(function (r) { usd = addCents(usd, IN === "KZT" ? r.kzt : r.usd); jobs += r.jobs; if (r.no_rate) noRate++; });
        summary = I.t("js.analyst.scorecard.leads_summary", I.num(rows.length), C.money(usd) + "\u00a0" + IN, grouped(jobs)) +
          (noRate ? " · " + I.t("js.analyst.scorecard.no_rate_day", I.num(noRate)) : "");
        var posts = d.post_names || {};
        C.fillTable("table-records", rows, function (r) {
          return [{text: r.title + " (" + r.lead_id.slice(0, 8) + ")", href: "/records/lead/" + r.lead_id, linkClass: "record-link"}, posts[r.post] || r.post, C.day(r.entered_on), I.label("lead_stage", r.stage), C.n(r.jobs),
            {text: I.num(r.capex) + "\u00a0" + r.currency, num: true, sort: String(r.capex)}, amountCell(r), rateCell(r)];
        });
      } else {
        ["col_exporter", "col_post", "col_buyer", "col_hs", "col_sector", "col_class", "col_stage", "col_deal_date", "col_value", IN, "col_rate_day"].map(function (k) { return k === IN ? k : I.t("js.analyst.scorecard." + k); }).forEach(function (c, i) {
          head.appendChild(h("th", {className: i >= 8 ? "num" : "", text: c}));
        });
        var nonRaw = "0", markets = {}, nr = 0, noRateX = 0;
        rows.forEach(function (r) { markets[r.buyer_country] = true; if (r.no_rate) noRateX++; if (!r.raw) { nr++; nonRaw = addCents(nonRaw, IN === "KZT" ? r.kzt : r.usd); } });
        summary = I.t("js.analyst.scorecard.deals_summary", I.num(rows.length), I.num(Object.keys(markets).length), I.num(nr), C.money(nonRaw) + "\u00a0" + IN) +
          (noRateX ? " · " + I.t("js.analyst.scorecard.no_rate_day", I.num(noRateX)) : "");
        var postsX = d.post_names || {}, countries = d.country_names || {};
        C.fillTable("table-records", rows, function (r) {
          return [{text: r.exporter_name, href: "/records/deal/" + r.deal_id, linkClass: "record-link"}, postsX[r.post] || r.post, countries[r.buyer_country] || r.buyer_country, r.hs_code, (d.sector_names || {})[r.sector] || r.sector || "–",
            r.raw ? I.t("js.analyst.exports.raw") : I.t("js.analyst.exports.non_raw"), I.label("deal_stage", r.stage), C.day(r.deal_date),
            {text: I.num(r.value) + "\u00a0" + r.currency, num: true, sort: String(r.value)}, amountCell(r), rateCell(r)];
        });
      }
      rowsLoaded.then(function () {
        var row = rowsByKey[key(f.scope, f.code, f.metric)], p = row && row.trend[f.year - FIRST];
        set("records-summary", summary + (p ? ". " + I.t("js.analyst.scorecard.figure_is", exact(p.value, unit)) : "."));
      });
      if (window.location.hash === "#records") rec.scrollIntoView();
    }, function (msg) { var p = document.getElementById("records-summary"); p.className = "error"; p.textContent = msg; });
  }
})();
