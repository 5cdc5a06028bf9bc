// Small SVG charts for the dashboards, no external libraries. Values are
// display-only numbers; exact figures are in the tables and CSV exports.
window.econdipCharts = (function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
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
  var palette = ["#1e6b8f", "#2f8f5b", "#c9822b", "#8a4f9e", "#c7534a", "#4f7fb0", "#7a8b2f", "#3d9c9c", "#a0522d", "#5b6775"];

  // bars: items [{label, value (0..1 or number), text, title}], horizontal.
  function bars(container, items, opts) {
    opts = opts || {};
    container.innerHTML = "";
    if (!items.length) { container.innerHTML = "<p class='muted'>Nothing to show for these filters.</p>"; return; }
    var rowH = 24, top = 6;
    var svg = el("svg", {role: "img", "aria-label": opts.label || "bar chart"});
    container.appendChild(svg);
    var left = 8 + Math.max.apply(null, items.map(function (i) { return textWidth(svg, i.label, 12); }));
    var right = 10 + Math.max.apply(null, items.map(function (i) { return textWidth(svg, i.text || "", 11); }));
    // Drawn at the container's own width, so that one unit is one CSS pixel
    // and the labels show at their font size, however few the bars.
    var total = Math.max(container.clientWidth || 0, left + right + 120), width = total - left - right;
    var max = opts.max || Math.max.apply(null, items.map(function (i) { return i.value || 0; })) || 1;
    svg.setAttribute("viewBox", "0 0 " + total + " " + (top + items.length * rowH + 6));
    items.forEach(function (it, n) {
      var y = top + n * rowH;
      svg.appendChild(el("text", {x: left - 6, y: y + 16, "text-anchor": "end", "font-size": 12}, it.label));
      var w = it.value == null ? 0 : Math.max(1, it.value / max * width);
      var r = el("rect", {x: left, y: y + 4, width: w, height: rowH - 8, fill: it.colour || "#1e6b8f"});
      r.appendChild(el("title", {}, it.title || it.label));
      svg.appendChild(r);
      svg.appendChild(el("text", {x: left + w + 5, y: y + 16, "font-size": 11, fill: "#5b6775"}, it.text));
    });
  }

  // lines: series [{name, points: [{x, y}]}] with y in 0..1 (rates); xs sorted numbers.
  function lines(container, series, xs, opts) {
    opts = opts || {};
    container.innerHTML = "";
    if (!series.length || !xs.length) { container.innerHTML = "<p class='muted'>Nothing to show for these filters.</p>"; return; }
    var W = 900, H = 260, L = 44, R = 170, T = 10, B = 26;
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": opts.label || "line chart"});
    var xmin = xs[0], xmax = xs[xs.length - 1], span = Math.max(xmax - xmin, 1);
    var pad = 30; // keeps the first and last points and their year labels off the axes
    function px(x) { return xs.length === 1 ? (L + W - R) / 2 : L + pad + (x - xmin) / span * (W - L - R - 2 * pad); }
    function py(y) { return T + (1 - y) * (H - T - B); }
    [0, 0.25, 0.5, 0.75, 1].forEach(function (g) {
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: py(g), y2: py(g), stroke: "#e3e7eb"}));
      svg.appendChild(el("text", {x: L - 6, y: py(g) + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6775"}, Math.round(g * 100) + "%"));
    });
    xs.forEach(function (x) { svg.appendChild(el("text", {x: px(x), y: H - 8, "text-anchor": "middle", "font-size": 11, fill: "#5b6775"}, String(x))); });
    series.forEach(function (s, i) {
      var c = palette[i % palette.length];
      var pts = s.points.filter(function (p) { return p.y != null; });
      if (pts.length > 1) {
        svg.appendChild(el("polyline", {fill: "none", stroke: c, "stroke-width": 2, points: pts.map(function (p) { return px(p.x) + "," + py(p.y); }).join(" ")}));
      }
      pts.forEach(function (p) {
        var dot = el("circle", {cx: px(p.x), cy: py(p.y), r: 3.5, fill: c});
        dot.appendChild(el("title", {}, s.name + " " + p.x + ": " + Math.round(p.y * 1000) / 10 + "%"));
        svg.appendChild(dot);
      });
      svg.appendChild(el("rect", {x: W - R + 12, y: T + i * 18, width: 10, height: 10, fill: c}));
      svg.appendChild(el("text", {x: W - R + 28, y: T + i * 18 + 9, "font-size": 11}, s.name));
    });
    container.appendChild(svg);
  }

  // group "1234567.5" as "1,234,567.50" without going through a float.
  function money(s) {
    s = String(s);
    var neg = s.charAt(0) === "-"; if (neg) s = s.slice(1);
    var parts = s.split("."), int = parts[0], frac = ((parts[1] || "") + "00").slice(0, 2);
    return (neg ? "-" : "") + int.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + frac;
  }

  function fillTable(id, rows, cells) {
    var body = document.querySelector("#" + id + " tbody");
    body.innerHTML = "";
    if (!rows.length) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = document.querySelectorAll("#" + id + " thead th").length;
      td.className = "muted"; td.textContent = "None.";
      tr.appendChild(td); body.appendChild(tr); return;
    }
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      cells(r).forEach(function (v) {
        var td = document.createElement("td");
        if (typeof v === "object" && v !== null) { td.textContent = v.text; if (v.num) td.className = "num"; if (v.href) { var a = document.createElement("a"); a.href = v.href; a.textContent = v.text; td.textContent = ""; td.appendChild(a); } }
        else td.textContent = v;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function load(url, onData, onError) {
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error("the server answered " + r.status); return r.json(); })
      .then(onData)
      .catch(function (e) { onError("Could not load the figures: " + e.message + ". Reload the page; if it persists, the analytics store may be down."); });
  }

  return {bars: bars, lines: lines, money: money, fillTable: fillTable, load: load};
})();
