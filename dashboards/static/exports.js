// The analysts' Exports page: headline numbers, value by stage, by sector
// (raw and non-raw), by destination and by HS chapter, and per year the
// non-raw share, markets and products and their concentration (HHI). Each
// figure comes from its JSON endpoint under /api/exports/ (CSV with .csv),
// with the page's own filters. Plain SVG, no external libraries; amounts are
// exact decimal strings in the JSON and shown without going through floats,
// except for the length of a bar.
(function () {
  "use strict";
  var C = window.econdipCharts, I = window.econdipI18n, FONT = C.FONT;
  var NS = "http://www.w3.org/2000/svg";
  var query = new URLSearchParams(window.location.search).toString();
  function url(figure, csv) { return "/api/exports/" + figure + (csv ? ".csv" : "") + (query ? "?" + query : ""); }
  document.querySelectorAll("a.csv").forEach(function (a) { a.href = url(a.dataset.figure, true); });

  function fail(id) { return function (msg) { var e = document.getElementById(id); e.innerHTML = ""; var p = document.createElement("p"); p.className = "error"; p.textContent = msg; e.appendChild(p); }; }
  function set(id, text) { document.getElementById(id).textContent = text; }
  var num = C.n, usd = C.usd, A = C.amount, UNIT = C.UNIT;
  function pct(s) { return s == null ? "–" : I.pct(Number(s), 1); }
  // short: "3.5 m USD" (or KZT, the page's unit) for a chart's label (display only).
  function short(v) { return I.t("js.kztpages.amount", C.compact(v), UNIT); }
  function money(v) { return C.money(v) + "\u00a0" + UNIT; }
  function deals(n) { return I.t("js.analyst.exports.deals", I.num(n)); }
  function noRate(n) { return n ? " · " + I.t("js.analyst.exports.without_rate", I.num(n)) : ""; }
  function stageName(s) { return I.label("deal_stage", s); }
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
  var empty = C.empty;

  // stacked draws one horizontal bar per item, split into parts
  // [{name, value, colour}], with a legend of the parts' names.
  function stacked(container, items, legend, label) {
    container.innerHTML = "";
    if (!items.length) { empty(container); return; }
    var svg = el("svg", {role: "img", "aria-label": label});
    container.appendChild(svg);
    function width(s, size) { var t = el("text", {"font-size": size}, s); svg.appendChild(t); var w = t.getComputedTextLength ? t.getComputedTextLength() : s.length * size * 0.6; svg.removeChild(t); return w; }
    var rowH = 24, top = 6;
    var left = 8 + Math.max.apply(null, items.map(function (i) { return width(i.label, FONT); }));
    var right = 10 + Math.max.apply(null, items.map(function (i) { return width(i.text, FONT); }));
    var total = C.room(container, left + right + 80), span = total - left - right;
    var sums = items.map(function (i) { return i.parts.reduce(function (a, p) { return a + p.value; }, 0); });
    var max = Math.max.apply(null, sums) || 1;
    items.forEach(function (it, n) {
      var y = top + n * rowH, x = left;
      svg.appendChild(el("text", {x: left - 6, y: y + 16, "text-anchor": "end", "font-size": FONT}, it.label));
      it.parts.forEach(function (p) {
        if (!p.value) return;
        var w = Math.max(1, p.value / max * span);
        var r = el("rect", {x: x, y: y + 4, width: w, height: rowH - 8, fill: p.colour});
        r.appendChild(el("title", {}, it.label + " · " + p.name + ": " + p.title));
        svg.appendChild(r);
        x += w;
      });
      svg.appendChild(el("text", {x: x + 5, y: y + 16, "font-size": FONT, fill: "#5b6775"}, it.text));
    });
    var lx = left, ly = top + items.length * rowH + 14;
    legend.forEach(function (p) {
      svg.appendChild(el("rect", {x: lx, y: ly - 10, width: 12, height: 12, fill: p.colour}));
      var t = el("text", {x: lx + 16, y: ly, "font-size": FONT}, p.name);
      svg.appendChild(t);
      lx += 16 + width(p.name, FONT) + 18;
    });
    C.fix(svg, total, ly + 8);
  }

  // numberLines draws series over the years xs on a scale from 0 to opts.max
  // (or the largest value, rounded up to whole steps), with opts.fmt.
  function numberLines(container, series, xs, opts) {
    var all = [];
    series.forEach(function (s) { s.points.forEach(function (p) { if (p.y != null) all.push(p.y); }); });
    var max = opts.max || Math.max(4, Math.ceil(Math.max.apply(null, all.concat([0])) / 4) * 4); // counts: whole numbers on every grid line
    C.lines(container, series, xs, {label: opts.label, max: max, fmt: opts.fmt, colours: opts.colours || ["#1e6b8f", "#c9822b"]});
  }

  // Issue 18: a number of deals opens the list of those deals (/records/deals),
  // with the page's filters and the row's key.
  var pageParams = new URLSearchParams(window.location.search);
  function dealsHref(set) {
    var q = new URLSearchParams(pageParams);
    q.delete("in"); q.delete("lang");
    for (var k in set) q.set(k, set[k]);
    return "/records/deals?" + q.toString();
  }
  // committed: the realised or committed stages, within the page's stage filter.
  function committed() {
    var all = ["contracted", "shipped", "paid"], chosen = pageParams.getAll("stage").join(",").split(",").filter(Boolean);
    return (chosen.length ? all.filter(function (s) { return chosen.indexOf(s) >= 0; }) : all).join(",") || "none";
  }
  function linked(cell, href) { cell.href = href; cell.linkClass = "figure-link"; return cell; }
  function totalsCells(label, r, key) {
    return [label, key ? linked(num(r.deals), dealsHref(key)) : num(r.deals), usd(A(r, "value")), usd(A(r, "non_raw")), num(r.deals_without_rate), C.staleCell(r)];
  }
  // stale: a bar's text's flag when some of its deals are at a stale rate.
  function stale(r) { return r.stale_rate ? " \u26a0" : ""; }
  function valueBar(label, r, colour) {
    return {label: label, value: Number(A(r, "value")), colour: colour,
      text: short(A(r, "value")) + " · " + deals(r.deals) + noRate(r.deals_without_rate) + stale(r),
      title: I.t("js.analyst.exports.bar_title", label, money(A(r, "value")), deals(r.deals)) + noRate(r.deals_without_rate) + (C.rateNote(r) ? "; " + C.rateNote(r) : "")};
  }

  // The headline: every figure of one year, the latest with a committed deal; the labels say which.
  C.load(url("summary"), function (d) {
    var h = d.rows[0];
    var year = h.year == null ? null : String(h.year);
    if (year) {
      set("h-committed-label", I.t("js.analyst.exports.committed_in", year));
      set("h-share-label", I.t("js.analyst.exports.share_in", year));
      set("h-markets-label", I.t("js.analyst.exports.markets_in", year));
      set("h-products-label", I.t("js.analyst.exports.products_in", year));
    }
    var none = I.t("js.analyst.exports.no_committed");
    C.flagRates("rate-flags", h);
    set("h-committed", year ? short(A(h, "committed")) + stale(h) : "–");
    set("h-committed-note", year ? I.t("js.analyst.exports.committed_note", money(A(h, "committed")), deals(h.committed_deals)) +
      (h.deals_without_rate ? "; " + I.t("js.analyst.exports.committed_no_rate", I.num(h.deals_without_rate)) : "") : none);
    set("h-share", h.non_raw_share == null ? "–" : pct(h.non_raw_share));
    set("h-share-note", year ? I.t("js.analyst.exports.share_note", year) : none);
    set("h-markets", year ? I.num(h.markets) : "–");
    set("h-markets-note", year ? I.t("js.analyst.exports.markets_note", year) : none);
    set("h-products", year ? I.num(h.products) : "–");
    set("h-products-note", year ? I.t("js.analyst.exports.products_note", year) : none);
  }, fail("headline"));

  C.load(url("stages"), function (d) {
    C.bars(document.getElementById("chart-stages"), d.rows.map(function (r) {
      return valueBar(stageName(r.stage), r, r.stage === "lost" ? "#c7837c" : "#1e6b8f");
    }), {label: I.t("js.analyst.exports.by_stage")});
    C.fillTable("table-stages", d.rows, function (r) { return totalsCells({text: stageName(r.stage), sort: String(d.rows.indexOf(r))}, r, {stage: r.stage}); });
  }, fail("chart-stages"));

  C.load(url("sectors"), function (d) {
    var nonRaw = {name: I.t("js.analyst.exports.non_raw"), colour: "#2f8f5b"}, rawPart = {name: I.t("js.analyst.exports.raw"), colour: "#c9822b"};
    stacked(document.getElementById("chart-sectors"), d.rows.map(function (r) {
      var all = Number(A(r, "value")), nr = Number(A(r, "non_raw")), raw = minus(A(r, "value"), A(r, "non_raw"));
      return {label: clip(r.sector_name || r.sector, 42), text: short(A(r, "value")) + " · " + (all ? I.t("js.analyst.exports.pct_non_raw", I.pct(nr / all, 0)) : I.t("js.analyst.exports.no_value")) + noRate(r.deals_without_rate) + stale(r),
        parts: [{name: nonRaw.name, value: nr, colour: nonRaw.colour, title: money(A(r, "non_raw"))},
          {name: rawPart.name, value: Number(raw), colour: rawPart.colour, title: money(raw)}]};
    }), [nonRaw, rawPart], I.t("js.analyst.exports.by_sector"));
    C.fillTable("table-sectors", d.rows, function (r) { return totalsCells(r.sector_name || r.sector, r, {sector: r.sector}); });
  }, fail("chart-sectors"));

  C.load(url("destinations"), function (d) {
    C.bars(document.getElementById("chart-destinations"), d.rows.slice(0, 15).map(function (r) {
      return valueBar(clip(r.buyer_country_name || r.buyer_country, 32), r, "#4f7fb0");
    }), {label: I.t("js.analyst.exports.top_destinations")});
    C.fillTable("table-destinations", d.rows, function (r) { return totalsCells(r.buyer_country_name || r.buyer_country, r, {buyer_country: r.buyer_country}); });
  }, fail("chart-destinations"));

  C.load(url("chapters"), function (d) {
    C.bars(document.getElementById("chart-chapters"), d.rows.map(function (r) {
      return valueBar(r.chapter + " " + clip(r.chapter_name || "", 36), r, "#8a4f9e");
    }), {label: I.t("js.analyst.exports.by_chapter")});
    C.fillTable("table-chapters", d.rows, function (r) { return totalsCells({text: r.chapter + " " + (r.chapter_name || ""), sort: r.chapter}, r, {chapter: r.chapter}); });
  }, fail("chart-chapters"));

  function years(rows) { return rows.map(function (r) { return r.year; }); }
  function year(r) { return {text: String(r.year), sort: String(r.year)}; }

  C.load(url("non-raw"), function (d) {
    C.lines(document.getElementById("chart-non-raw"), d.rows.length ? [{name: I.t("js.analyst.exports.non_raw_share"), points: d.rows.map(function (r) {
      return {x: r.year, y: r.share == null ? null : Number(r.share)};
    })}] : [], years(d.rows), {label: I.t("js.analyst.exports.non_raw_per_year")});
    C.fillTable("table-non-raw", d.rows, function (r) {
      return [year(r), linked(num(r.deals), dealsHref({years: String(r.year), stage: committed()})), usd(A(r, "value")), usd(A(r, "non_raw")), C.pct(r.share, 1), num(r.deals_without_rate), C.staleCell(r)];
    });
  }, fail("chart-non-raw"));

  C.load(url("markets-products"), function (d) {
    numberLines(document.getElementById("chart-markets-products"), [
      {name: I.t("js.analyst.exports.markets"), points: d.rows.map(function (r) { return {x: r.year, y: r.markets}; })},
      {name: I.t("js.analyst.exports.products"), points: d.rows.map(function (r) { return {x: r.year, y: r.products}; })}
    ], years(d.rows), {label: I.t("js.analyst.exports.markets_products"), fmt: function (v) { return I.num(Math.round(v)); }});
    C.fillTable("table-markets-products", d.rows, function (r) { return [year(r), linked(num(r.deals), dealsHref({years: String(r.year), stage: committed()})), num(r.markets), num(r.products)]; });
  }, fail("chart-markets-products"));

  C.load(url("concentration"), function (d) {
    numberLines(document.getElementById("chart-concentration"), [
      {name: I.t("js.analyst.exports.over_markets"), points: d.rows.map(function (r) { return {x: r.year, y: r.markets_hhi == null ? null : Number(r.markets_hhi)}; })},
      {name: I.t("js.analyst.exports.over_products"), points: d.rows.map(function (r) { return {x: r.year, y: r.products_hhi == null ? null : Number(r.products_hhi)}; })}
    ], years(d.rows), {label: I.t("js.analyst.exports.concentration"), max: 10000,
      fmt: function (v) { return I.num(Math.round(v)); }});
    C.fillTable("table-concentration", d.rows, function (r) {
      return [year(r), usd(A(r, "value")), usd(r.markets_hhi), usd(r.products_hhi), num(r.deals_without_rate)];
    });
  }, fail("chart-concentration"));
})();
