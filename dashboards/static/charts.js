// Small SVG charts for the dashboards, no external libraries. Values are
// display-only numbers; exact figures are in the tables and CSV exports.
// Every chart is drawn at its container's width in CSS pixels and shown at
// that size (never scaled down), so that its text shows at its font size,
// 12 px at least; a chart wider than a narrow screen scrolls in its box.
// Words, numbers and dates are the page's language's (window.econdipI18n).
window.econdipCharts = (function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var I = window.econdipI18n;
  var FONT = 12; // the smallest text of a chart, in CSS px
  // fix sets an SVG's drawing size and shows it at that size, one unit a CSS pixel.
  function fix(svg, w, h) {
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    svg.classList.add("px");
  }
  // width is the space a chart has: its container's width, at least min.
  function room(container, min) {
    var st = getComputedStyle(container), pad = (parseFloat(st.paddingLeft) || 0) + (parseFloat(st.paddingRight) || 0);
    return Math.max(Math.floor((container.clientWidth || 0) - pad), min);
  }
  // compact writes an amount short for a chart: "2.9 m", "2,9 млн" (display only).
  function compact(v) {
    var n = Number(v), a = Math.abs(n);
    if (a >= 1e9) return I.t("js.analyst.bn", I.num(n / 1e9, 2));
    if (a >= 1e6) return I.t("js.analyst.m", I.num(n / 1e6, 1));
    if (a >= 1e3) return I.t("js.analyst.k", I.num(n / 1e3, 0));
    return I.num(n, 0);
  }
  function empty(container) {
    container.innerHTML = "";
    var p = document.createElement("p");
    p.className = "muted"; p.textContent = I.t("js.analyst.nothing_to_show");
    container.appendChild(p);
  }
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function textWidth(svg, s, size) {
    var t = el("text", {"font-size": size, x: -1000, y: -1000}, s);
    svg.appendChild(t);
    var w = t.getComputedTextLength ? t.getComputedTextLength() : s.length * size * 0.6;
    svg.removeChild(t);
    return w;
  }
  // fit cuts s at a word (or a letter) with "…" until it is at most max px wide.
  function fit(svg, s, size, max) {
    if (textWidth(svg, s, size) <= max) return s;
    var words = s.split(" ");
    while (words.length > 1) { words.pop(); var t = words.join(" ").replace(/[,;:(–-]+$/, "") + "…"; if (textWidth(svg, t, size) <= max) return t; }
    var c = s;
    while (c.length > 4 && textWidth(svg, c + "…", size) > max) c = c.slice(0, -1);
    return c + "…";
  }
  var palette = ["#1e6b8f", "#2f8f5b", "#c9822b", "#8a4f9e", "#c7534a", "#4f7fb0", "#7a8b2f", "#3d9c9c", "#a0522d", "#5b6775"];

  // bars: items [{label, value (0..1 or number), text, title}], horizontal.
  function bars(container, items, opts) {
    opts = opts || {};
    container.innerHTML = "";
    if (!items.length) { empty(container); return; }
    var rowH = 26, top = 6;
    var svg = el("svg", {role: "img", "aria-label": opts.label || ""});
    container.appendChild(svg);
    // Long names (commissions, state bodies) are cut to fit half the box, whole in their tooltip.
    var avail = room(container, 0), most = Math.max(110, avail * 0.5);
    var labels = items.map(function (i) { return fit(svg, i.label, FONT, most); });
    var left = 8 + Math.max.apply(null, labels.map(function (l) { return textWidth(svg, l, FONT); }));
    var right = 10 + Math.max.apply(null, items.map(function (i) { return textWidth(svg, i.text || "", FONT); }));
    var total = room(container, left + right + 80), width = total - left - right;
    var max = opts.max || Math.max.apply(null, items.map(function (i) { return i.value || 0; })) || 1;
    fix(svg, total, top + items.length * rowH + 6);
    items.forEach(function (it, n) {
      var y = top + n * rowH;
      var name = el("text", {x: left - 6, y: y + 17, "text-anchor": "end", "font-size": FONT}, labels[n]);
      if (labels[n] !== it.label) name.appendChild(el("title", {}, it.label));
      svg.appendChild(name);
      var w = it.value == null ? 0 : Math.max(1, it.value / max * width);
      var r = el("rect", {x: left, y: y + 4, width: w, height: rowH - 8, fill: it.colour || "#1e6b8f"});
      r.appendChild(el("title", {}, it.title || it.label));
      svg.appendChild(r);
      svg.appendChild(el("text", {x: left + w + 5, y: y + 17, "font-size": FONT, fill: "#5b6775"}, it.text));
    });
  }

  // lines: series [{name, points: [{x, y}]}] over the sorted years xs, y in
  // 0..1 (rates) unless opts.max; opts.fmt writes a value (a percentage by
  // default). The legend is under the plot, wrapping at the chart's width.
  function lines(container, series, xs, opts) {
    opts = opts || {};
    container.innerHTML = "";
    var any = series.some(function (s) { return s.points.some(function (p) { return p.y != null; }); });
    if (!series.length || !xs.length || !any) { empty(container); return; }
    var fmt = opts.fmt || function (v) { return I.pct(v, 0); };
    var max = opts.max || 1;
    var svg = el("svg", {role: "img", "aria-label": opts.label || ""});
    container.appendChild(svg); // in the page, so that text can be measured
    var W = room(container, 300), plotH = 200, R = 14, T = 10;
    var L = 10 + Math.max.apply(null, [0, 0.25, 0.5, 0.75, 1].map(function (g) { return textWidth(svg, fmt(g * max, true), FONT); }));
    var xmin = xs[0], xmax = xs[xs.length - 1], span = Math.max(xmax - xmin, 1);
    var pad = 24; // keeps the first and last points and their year labels off the axes
    function px(x) { return xs.length === 1 ? (L + W - R) / 2 : L + pad + (x - xmin) / span * (W - L - R - 2 * pad); }
    function py(y) { return T + (1 - y / max) * plotH; }
    [0, 0.25, 0.5, 0.75, 1].forEach(function (g) {
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: py(g * max), y2: py(g * max), stroke: "#e3e7eb"}));
      svg.appendChild(el("text", {x: L - 6, y: py(g * max) + 4, "text-anchor": "end", "font-size": FONT, fill: "#5b6775"}, fmt(g * max, true)));
    });
    // Year labels: every one that has room (a year is about 3 em wide).
    var step = xs.length > 1 ? (px(xs[xs.length - 1]) - px(xs[0])) / (xs.length - 1) : W, every = Math.max(1, Math.ceil(FONT * 3.4 / step));
    xs.forEach(function (x, i) {
      if (i % every === 0 || i === xs.length - 1 && every === 1) svg.appendChild(el("text", {x: px(x), y: T + plotH + 18, "text-anchor": "middle", "font-size": FONT, fill: "#5b6775"}, String(x)));
    });
    var lx = L, ly = T + plotH + 42;
    series.forEach(function (s, i) {
      var c = (opts.colours || palette)[i % (opts.colours || palette).length];
      var pts = s.points.filter(function (p) { return p.y != null; });
      if (pts.length > 1) {
        svg.appendChild(el("polyline", {fill: "none", stroke: c, "stroke-width": 2, points: pts.map(function (p) { return px(p.x) + "," + py(p.y); }).join(" ")}));
      }
      pts.forEach(function (p) {
        var dot = el("circle", {cx: px(p.x), cy: py(p.y), r: 3.5, fill: c});
        dot.appendChild(el("title", {}, s.name + " " + p.x + ": " + fmt(p.y)));
        svg.appendChild(dot);
      });
      var w = 16 + textWidth(svg, s.name, FONT) + 16;
      if (lx > L && lx + w > W) { lx = L; ly += 20; }
      svg.appendChild(el("rect", {x: lx, y: ly - 10, width: 11, height: 11, fill: c}));
      svg.appendChild(el("text", {x: lx + 16, y: ly, "font-size": FONT}, s.name));
      lx += w;
    });
    fix(svg, W, ly + 8);
  }

  // money writes an amount with two decimals in the page's language: 1,234,567.50 or 1 234 567,50.
  function money(s) { return I.num(s, 2); }

  function fillTable(id, rows, cells) {
    var body = document.querySelector("#" + id + " tbody");
    body.innerHTML = "";
    if (!rows.length) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = document.querySelectorAll("#" + id + " thead th").length;
      td.className = "muted"; td.textContent = I.t("js.analyst.none");
      tr.appendChild(td); body.appendChild(tr); return;
    }
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      cells(r).forEach(function (v) {
        var td = document.createElement("td");
        if (typeof v === "object" && v !== null) { td.textContent = v.text; if (v.num) td.className = "num"; if (v.className) td.className += (td.className ? " " : "") + v.className; if (v.title) td.title = v.title; if (v.sort != null) td.dataset.sort = v.sort; if (v.href) { var a = document.createElement("a"); a.href = v.href; a.textContent = v.text; if (v.linkClass) a.className = v.linkClass; td.textContent = ""; td.appendChild(a); } }
        else td.textContent = v;
        if (v && v.title) td.title = v.title; // a cell's note (a stale rate: moneyunit.js)
        if (v && v.className) td.classList.add(v.className);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function load(url, onData, onError) {
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(I.t("js.analyst.server_answered", r.status)); return r.json(); })
      .then(onData)
      .catch(function (e) { onError(I.t("js.analyst.load_failed", e.message)); });
  }

  // Table cells of a number and of an amount: shown in the page's language,
  // sorted by the exact value (data-sort, static/sort.js).
  function n(v) { return v == null ? {text: "–", num: true, sort: ""} : {text: I.num(v), num: true, sort: String(v)}; }
  function usd(v) { return v == null ? {text: "–", num: true, sort: ""} : {text: money(v), num: true, sort: String(v)}; }
  function pctCell(share, places) { return share == null ? {text: "–", num: true, sort: ""} : {text: I.pct(Number(share), places), num: true, sort: String(share)}; }
  // day is a date cell, sorted by its ISO form.
  function day(s) { return s ? {text: I.day(s), sort: String(s).slice(0, 10)} : {text: "–", sort: ""}; }

  // UNIT is the unit money shows in on this page: USD, or KZT with ?in=KZT
  // (the page's unit switch; the figures' JSON carries both).
  var UNIT = new URLSearchParams(window.location.search).get("in") === "KZT" ? "KZT" : "USD";
  // amount is a figure's field in the page's unit: amount(r, "value") is r.value_usd or r.value_kzt.
  function amount(r, base) { return r[base + (UNIT === "KZT" ? "_kzt" : "_usd")]; }
  // rateNote says how old the rates behind a figure's amount were (its
  // stale_rate, max_rate_age_days, rate_too_old), or "" when none was stale or too old.
  function rateNote(r) {
    var notes = [];
    if (r.stale_rate) notes.push(I.t("js.analyst.scorecard.stale_sum", I.num(r.stale_rate), I.num(r.max_rate_age_days)));
    if (r.rate_too_old) notes.push(I.t("js.analyst.scorecard.too_old_sum", I.num(r.rate_too_old)));
    return notes.join("; ");
  }
  // staleCell is a table cell of the records at a stale rate, flagged ⚠ with rateNote as its title.
  function staleCell(r) {
    var note = rateNote(r), k = r.stale_rate || 0;
    return {text: (note ? "\u26a0 " : "") + I.num(k), num: true, sort: String(k), title: note, className: note ? "stale" : ""};
  }
  // flagRates shows, in the element with id, the rate notes of a page's figure (hidden when there is none).
  function flagRates(id, r) {
    var e = document.getElementById(id), note = rateNote(r);
    if (!e) return;
    e.textContent = note ? "\u26a0 " + note : "";
    e.hidden = !note;
  }

  return {UNIT: UNIT, amount: amount, rateNote: rateNote, staleCell: staleCell, flagRates: flagRates, fit: fit, n: n, usd: usd, pct: pctCell, day: day, bars: bars, lines: lines, money: money, compact: compact, fillTable: fillTable, load: load, fix: fix, room: room, empty: empty, FONT: FONT};
})();
