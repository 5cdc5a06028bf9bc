// The analysts' Exports page: headline numbers, value by stage, by sector
// (raw and non-raw), by destination and by HS chapter, and per year the
// non-raw share, markets and products and their concentration (HHI). Each
// figure comes from its JSON endpoint under /api/exports/ (CSV with .csv),
// with the page's own filters. Plain SVG, no external libraries; amounts are
// exact decimal strings in the JSON and shown without going through floats,
// except for the length of a bar.
(function () {
  "use strict";
  var C = window.econdipCharts;
  var NS = "http://www.w3.org/2000/svg";
  var query = new URLSearchParams(window.location.search).toString();
  function url(figure, csv) { return "/api/exports/" + figure + (csv ? ".csv" : "") + (query ? "?" + query : ""); }
  document.querySelectorAll("a.csv").forEach(function (a) { a.href = url(a.dataset.figure, true); });

  function fail(id) { return function (msg) { var e = document.getElementById(id); e.innerHTML = ""; var p = document.createElement("p"); p.className = "error"; p.textContent = msg; e.appendChild(p); }; }
  function set(id, text) { document.getElementById(id).textContent = text; }
  function num(v) { return {text: String(v), num: true}; }
  function usd(v) { return {text: C.money(v), num: true}; }
  function pct(s) { return s == null ? "–" : (Math.round(Number(s) * 1000) / 10).toFixed(1) + "%"; }
  // short: "USD 3.5 m" for a chart's label (display only).
  function short(v) {
    var n = Number(v);
    if (n >= 1e9) return "USD " + (n / 1e9).toFixed(2) + " bn";
    if (n >= 1e6) return "USD " + (n / 1e6).toFixed(1) + " m";
    if (n >= 1e3) return "USD " + (n / 1e3).toFixed(0) + " k";
    return "USD " + n.toFixed(0);
  }
  function deals(n) { return n + (n === 1 ? " deal" : " deals"); }
  function noRate(n) { return n ? " · " + n + " without rate" : ""; }
  // minus is a - b for amounts with at most 2 decimals, exactly (in cents).
  function minus(a, b) {
    function cents(s) { s = String(s); var p = s.split("."); return BigInt(p[0] + ((p[1] || "") + "00").slice(0, 2)); }
    var c = cents(a) - cents(b), neg = c < 0n;
    if (neg) c = -c;
    var t = c.toString().padStart(3, "0");
    return (neg ? "-" : "") + t.slice(0, -2) + "." + t.slice(-2);
  }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function empty(container) { container.innerHTML = "<p class='muted'>Nothing to show for these filters.</p>"; }

  // stacked draws one horizontal bar per item, split into parts
  // [{name, value, colour}], with a legend of the parts' names.
  function stacked(container, items, legend, label) {
    container.innerHTML = "";
    if (!items.length) { empty(container); return; }
    var svg = el("svg", {role: "img", "aria-label": label});
    container.appendChild(svg);
    function width(s, size) { var t = el("text", {"font-size": size}, s); svg.appendChild(t); var w = t.getComputedTextLength ? t.getComputedTextLength() : s.length * size * 0.6; svg.removeChild(t); return w; }
    var rowH = 24, top = 6;
    var left = 8 + Math.max.apply(null, items.map(function (i) { return width(i.label, 12); }));
    var right = 10 + Math.max.apply(null, items.map(function (i) { return width(i.text, 11); }));
    var total = Math.max(container.clientWidth || 0, left + right + 120), span = total - left - right;
    var sums = items.map(function (i) { return i.parts.reduce(function (a, p) { return a + p.value; }, 0); });
    var max = Math.max.apply(null, sums) || 1;
    items.forEach(function (it, n) {
      var y = top + n * rowH, x = left;
      svg.appendChild(el("text", {x: left - 6, y: y + 16, "text-anchor": "end", "font-size": 12}, it.label));
      it.parts.forEach(function (p) {
        if (!p.value) return;
        var w = Math.max(1, p.value / max * span);
        var r = el("rect", {x: x, y: y + 4, width: w, height: rowH - 8, fill: p.colour});
        r.appendChild(el("title", {}, it.label + " · " + p.name + ": " + p.title));
        svg.appendChild(r);
        x += w;
      });
      svg.appendChild(el("text", {x: x + 5, y: y + 16, "font-size": 11, fill: "#5b6775"}, it.text));
    });
    var lx = left, ly = top + items.length * rowH + 14;
    legend.forEach(function (p) {
      svg.appendChild(el("rect", {x: lx, y: ly - 10, width: 12, height: 12, fill: p.colour}));
      var t = el("text", {x: lx + 16, y: ly, "font-size": 12}, p.name);
      svg.appendChild(t);
      lx += 16 + width(p.name, 12) + 18;
    });
    svg.setAttribute("viewBox", "0 0 " + total + " " + (ly + 8));
  }

  // numberLines draws series [{name, points: [{x, y}]}] over the sorted
  // years xs on a scale from 0 to opts.max (or the largest value), with
  // opts.fmt writing the axis labels and the points' titles.
  function numberLines(container, series, xs, opts) {
    container.innerHTML = "";
    var all = [];
    series.forEach(function (s) { s.points.forEach(function (p) { if (p.y != null) all.push(p.y); }); });
    if (!xs.length || !all.length) { empty(container); return; }
    var fmt = opts.fmt || String;
    // Drawn at the container's own width, so that text shows at its font size.
    var W = Math.max(container.clientWidth || 0, 480), H = 260, L = 56, R = 160, T = 10, B = 26, pad = 30;
    var max = opts.max || Math.max.apply(null, all);
    if (!opts.max) max = Math.max(4, Math.ceil(max / 4) * 4); // counts: whole numbers on every grid line
    var svg = el("svg", {viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": opts.label});
    var xmin = xs[0], span = Math.max(xs[xs.length - 1] - xmin, 1);
    function px(x) { return xs.length === 1 ? (L + W - R) / 2 : L + pad + (x - xmin) / span * (W - L - R - 2 * pad); }
    function py(y) { return T + (1 - y / max) * (H - T - B); }
    [0, 0.25, 0.5, 0.75, 1].forEach(function (g) {
      var v = g * max;
      svg.appendChild(el("line", {x1: L, x2: W - R, y1: py(v), y2: py(v), stroke: "#e3e7eb"}));
      svg.appendChild(el("text", {x: L - 6, y: py(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6775"}, fmt(v, true)));
    });
    xs.forEach(function (x) { svg.appendChild(el("text", {x: px(x), y: H - 8, "text-anchor": "middle", "font-size": 11, fill: "#5b6775"}, String(x))); });
    var colours = opts.colours || ["#1e6b8f", "#c9822b"];
    series.forEach(function (s, i) {
      var c = colours[i % colours.length];
      var pts = s.points.filter(function (p) { return p.y != null; });
      if (pts.length > 1) svg.appendChild(el("polyline", {fill: "none", stroke: c, "stroke-width": 2, points: pts.map(function (p) { return px(p.x) + "," + py(p.y); }).join(" ")}));
      pts.forEach(function (p) {
        var dot = el("circle", {cx: px(p.x), cy: py(p.y), r: 3.5, fill: c});
        dot.appendChild(el("title", {}, s.name + " " + p.x + ": " + fmt(p.y)));
        svg.appendChild(dot);
      });
      svg.appendChild(el("rect", {x: W - R + 12, y: T + i * 18, width: 10, height: 10, fill: c}));
      svg.appendChild(el("text", {x: W - R + 28, y: T + i * 18 + 9, "font-size": 11}, s.name));
    });
    container.appendChild(svg);
  }

  function totalsCells(label, r) {
    return [label, num(r.deals), usd(r.value_usd), usd(r.non_raw_usd), num(r.deals_without_rate)];
  }
  function valueBar(label, r, colour) {
    return {label: label, value: Number(r.value_usd), colour: colour,
      text: short(r.value_usd) + " · " + deals(r.deals) + noRate(r.deals_without_rate),
      title: label + ": USD " + C.money(r.value_usd) + " in " + deals(r.deals) + (r.deals_without_rate ? ", and " + r.deals_without_rate + " without a rate, not in the sum" : "")};
  }

  C.load(url("summary"), function (d) {
    var h = d.rows[0];
    set("h-committed", short(h.committed_usd));
    set("h-committed-note", "USD " + C.money(h.committed_usd) + " in " + deals(h.committed_deals) + " contracted, shipped or paid" +
      (h.deals_without_rate ? "; " + h.deals_without_rate + " of them without a rate, not in the sum" : ""));
    var year = h.year == null ? null : String(h.year);
    set("h-share", h.non_raw_share == null ? "–" : pct(h.non_raw_share));
    set("h-share-note", year ? "of the committed value in " + year : "no committed deal");
    set("h-markets", year ? String(h.markets) : "–");
    set("h-markets-note", year ? "buyer countries in " + year : "no committed deal");
    set("h-products", year ? String(h.products) : "–");
    set("h-products-note", year ? "HS headings in " + year : "no committed deal");
  }, fail("headline"));

  C.load(url("stages"), function (d) {
    C.bars(document.getElementById("chart-stages"), d.rows.map(function (r) {
      return valueBar(r.stage, r, r.stage === "lost" ? "#c7837c" : "#1e6b8f");
    }), {label: "Export value by stage, USD"});
    C.fillTable("table-stages", d.rows, function (r) { return totalsCells(r.stage, r); });
  }, fail("chart-stages"));

  C.load(url("sectors"), function (d) {
    var nonRaw = {name: "non-raw", colour: "#2f8f5b"}, rawPart = {name: "raw", colour: "#c9822b"};
    stacked(document.getElementById("chart-sectors"), d.rows.map(function (r) {
      var all = Number(r.value_usd), nr = Number(r.non_raw_usd), raw = minus(r.value_usd, r.non_raw_usd);
      return {label: clip(r.sector_name || r.sector, 42), text: short(r.value_usd) + " · " + (all ? Math.round(nr / all * 100) + "% non-raw" : "no value") + noRate(r.deals_without_rate),
        parts: [{name: "non-raw", value: nr, colour: nonRaw.colour, title: "USD " + C.money(r.non_raw_usd)},
          {name: "raw", value: Number(raw), colour: rawPart.colour, title: "USD " + C.money(raw)}]};
    }), [nonRaw, rawPart], "Export value by priority sector, raw and non-raw, USD");
    C.fillTable("table-sectors", d.rows, function (r) { return totalsCells(r.sector_name || r.sector, r); });
  }, fail("chart-sectors"));

  C.load(url("destinations"), function (d) {
    C.bars(document.getElementById("chart-destinations"), d.rows.slice(0, 15).map(function (r) {
      return valueBar(clip(r.buyer_country_name || r.buyer_country, 32) + " (" + r.buyer_country + ")", r, "#4f7fb0");
    }), {label: "Top 15 destinations by export value, USD"});
    C.fillTable("table-destinations", d.rows, function (r) { return totalsCells((r.buyer_country_name || r.buyer_country) + " (" + r.buyer_country + ")", r); });
  }, fail("chart-destinations"));

  C.load(url("chapters"), function (d) {
    C.bars(document.getElementById("chart-chapters"), d.rows.map(function (r) {
      return valueBar(r.chapter + " " + clip(r.chapter_name || "", 36), r, "#8a4f9e");
    }), {label: "Export value by HS chapter, USD"});
    C.fillTable("table-chapters", d.rows, function (r) { return totalsCells(r.chapter + " " + (r.chapter_name || ""), r); });
  }, fail("chart-chapters"));

  function years(rows) { return rows.map(function (r) { return r.year; }); }

  C.load(url("non-raw"), function (d) {
    C.lines(document.getElementById("chart-non-raw"), d.rows.length ? [{name: "Non-raw share", points: d.rows.map(function (r) {
      return {x: r.year, y: r.share == null ? null : Number(r.share)};
    })}] : [], years(d.rows), {label: "Non-raw share of committed export value per year"});
    C.fillTable("table-non-raw", d.rows, function (r) {
      return [String(r.year), num(r.deals), usd(r.value_usd), usd(r.non_raw_usd), {text: pct(r.share), num: true}, num(r.deals_without_rate)];
    });
  }, fail("chart-non-raw"));

  C.load(url("markets-products"), function (d) {
    numberLines(document.getElementById("chart-markets-products"), [
      {name: "Markets", points: d.rows.map(function (r) { return {x: r.year, y: r.markets}; })},
      {name: "Products (HS headings)", points: d.rows.map(function (r) { return {x: r.year, y: r.products}; })}
    ], years(d.rows), {label: "Markets and products with committed deals per year", fmt: function (v) { return String(Math.round(v)); }});
    C.fillTable("table-markets-products", d.rows, function (r) { return [String(r.year), num(r.deals), num(r.markets), num(r.products)]; });
  }, fail("chart-markets-products"));

  C.load(url("concentration"), function (d) {
    numberLines(document.getElementById("chart-concentration"), [
      {name: "Over markets", points: d.rows.map(function (r) { return {x: r.year, y: r.markets_hhi == null ? null : Number(r.markets_hhi)}; })},
      {name: "Over products", points: d.rows.map(function (r) { return {x: r.year, y: r.products_hhi == null ? null : Number(r.products_hhi)}; })}
    ], years(d.rows), {label: "Concentration of committed exports (HHI) per year", max: 10000,
      fmt: function (v) { return Math.round(v).toLocaleString("en"); }});
    C.fillTable("table-concentration", d.rows, function (r) {
      return [String(r.year), usd(r.value_usd), {text: r.markets_hhi == null ? "–" : C.money(r.markets_hhi), num: true},
        {text: r.products_hhi == null ? "–" : C.money(r.products_hhi), num: true}, num(r.deals_without_rate)];
    });
  }, fail("chart-concentration"));
})();
