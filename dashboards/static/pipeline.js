// Draws "Investment pipeline by priority sector and stage" from /api/pipeline
// as horizontal stacked bars (one bar per sector, one segment per stage) in
// plain SVG, and fills the table below it. No external libraries.
(function () {
  "use strict";
  var colours = {identified:"#c7dbe6", contacted:"#9cc3d5", qualified:"#6aa7c2", negotiating:"#3d88ab",
    committed:"#1e6b8f", implementing:"#2f8f5b", operational:"#1e6b3f", on_hold:"#c9b27c", lost:"#c7837c"};
  var params = new URLSearchParams(window.location.search);
  var query = params.toString();
  document.getElementById("csv").href = "/api/pipeline.csv" + (query ? "?" + query : "");
  var data = null;
  var I = window.econdipI18n, C = window.econdipCharts;

  // fmt: a bar's total, short, in the page's unit (display only: sums are exact decimals in the JSON and the CSV).
  function fmt(v) { return measure() === "leads" ? I.num(v) : I.t("js.kztpages.amount", C.compact(v), C.UNIT); }
  // value is a row's measure: leads, or capex or weighted capex in the page's unit (C.amount).
  function value(r, m) { return m === "leads" ? r.leads : C.amount(r, m); }
  function stageName(stage) { return I.label("lead_stage", stage); }
  function el(name, attrs, text) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function measure() { return document.querySelector("input[name=measure]:checked").value; }

  function draw() {
    var m = measure(), chart = document.getElementById("chart");
    chart.innerHTML = "";
    if (!data.rows.length) { var p = document.createElement("p"); p.className = "muted"; p.textContent = I.t("js.analyst.pipeline.no_leads"); chart.appendChild(p); return; }
    var bySector = {}, order = [];
    data.rows.forEach(function (r) {
      if (!bySector[r.sector]) { bySector[r.sector] = {}; order.push(r.sector); }
      bySector[r.sector][r.stage] = Number(value(r, m));
    });
    var totals = order.map(function (s) { var t = 0; for (var k in bySector[s]) t += bySector[s][k]; return t; });
    var max = Math.max.apply(null, totals) || 1;
    var rowH = 26, right = 80, top = 10, legendRow = 20;
    var svg = el("svg", {role: "img", "aria-label": I.t("js.analyst.pipeline.chart_label")});
    chart.appendChild(svg); // in the page first, so that labels can be measured
    // Sector names are as long as they need to be: the bars start after the longest.
    // On a narrow screen, names are cut to 40 % of the box (whole in their tooltip).
    var most = Math.max(110, C.room(chart, 0) * 0.4);
    var labels = order.map(function (sector, i) {
      var name = data.sectors[sector] || sector, shown = C.fit(svg, name, 13, most);
      var t = el("text", {x: 0, y: top + i * rowH + 17, "text-anchor": "end", "font-size": 13}, shown);
      if (shown !== name) t.appendChild(el("title", {}, name));
      svg.appendChild(t);
      return t;
    });
    var left = 8 + Math.ceil(Math.max.apply(null, labels.map(function (t) { return t.getComputedTextLength(); })));
    // Drawn at the box's width in CSS pixels, never scaled down (charts.js).
    var total = C.room(chart, left + right + 100), width = total - left - right;
    order.forEach(function (sector, i) {
      var y = top + i * rowH, x = left;
      labels[i].setAttribute("x", left - 8);
      data.stages.forEach(function (stage) {
        var v = bySector[sector][stage] || 0;
        if (!v) return;
        var w = v / max * width;
        var r = el("rect", {x: x, y: y + 3, width: Math.max(w, 1), height: rowH - 6, fill: colours[stage], "data-stage": stage});
        r.appendChild(el("title", {}, (data.sectors[sector] || sector) + " · " + stageName(stage) + ": " + fmt(v)));
        svg.appendChild(r);
        x += w;
      });
      svg.appendChild(el("text", {x: x + 6, y: y + 17, "font-size": 12, fill: "#5b6775"}, fmt(totals[i])));
    });
    // Legend: each entry as wide as its name, wrapping to a new line at the right edge.
    var lx = left, ly = top + order.length * rowH + 18;
    data.stages.forEach(function (stage) {
      var t = el("text", {x: lx + 16, y: ly, "font-size": 12}, stageName(stage));
      svg.appendChild(t);
      var w = 16 + t.getComputedTextLength() + 18;
      if (lx > left && lx + w > total) {
        lx = left; ly += legendRow;
        t.setAttribute("x", lx + 16); t.setAttribute("y", ly);
      }
      svg.appendChild(el("rect", {x: lx, y: ly - 10, width: 12, height: 12, fill: colours[stage]}));
      lx += w;
    });
    C.fix(svg, total, ly + 12);
  }

  function table() {
    var body = document.querySelector("#table tbody");
    body.innerHTML = "";
    var all = {stale_rate: 0, max_rate_age_days: 0, rate_too_old: 0};
    data.rows.forEach(function (r) {
      all.stale_rate += r.stale_rate; all.rate_too_old += r.rate_too_old;
      if (r.stale_rate) all.max_rate_age_days = Math.max(all.max_rate_age_days, r.max_rate_age_days);
      var tr = document.createElement("tr");
      [data.sectors[r.sector] || r.sector, stageName(r.stage), r.leads, C.amount(r, "capex"), C.amount(r, "weighted"), r.leads_without_rate].forEach(function (v, i) {
        var td = document.createElement("td");
        td.textContent = i >= 2 ? (i === 3 || i === 4 ? C.money(v) : I.num(v)) : v;
        if (i === 2) { // the number of leads opens their list (issue 18), with the page's filters
          var lq = new URLSearchParams(); ["post", "country"].forEach(function (k) { if (params.get(k)) lq.set(k, params.get(k)); });
          lq.set("sector", r.sector); lq.set("stage", r.stage);
          var a = document.createElement("a"); a.className = "figure-link"; a.href = "/records/leads?" + lq.toString(); a.textContent = td.textContent;
          td.textContent = ""; td.appendChild(a);
        }
        if (i >= 2) { td.className = "num"; td.dataset.sort = String(v); }
        if (i === 1) td.dataset.sort = String(data.stages.indexOf(r.stage)); // pipeline order, not the names'
        tr.appendChild(td);
      });
      var st = C.staleCell(r), td = document.createElement("td");
      td.textContent = st.text; td.className = "num " + st.className; td.title = st.title; td.dataset.sort = st.sort;
      tr.appendChild(td);
      body.appendChild(tr);
    });
    C.flagRates("rate-flags", all);
  }

  fetch("/api/pipeline" + (query ? "?" + query : ""), {credentials: "same-origin"})
    .then(function (r) { if (!r.ok) throw new Error(I.t("js.analyst.server_answered", r.status)); return r.json(); })
    .then(function (d) { data = d; draw(); table(); })
    .catch(function (e) { var c = document.getElementById("chart"), p = document.createElement("p"); p.className = "error"; p.textContent = I.t("js.analyst.load_failed", e.message); c.innerHTML = ""; c.appendChild(p); });
  document.querySelectorAll("input[name=measure]").forEach(function (i) { i.addEventListener("change", draw); });

  // Conversion and days to commit, per year, with the same filters
  // (/api/conversion): a year without a rate or a median shows a dash.
  fetch("/api/conversion" + (query ? "?" + query : ""), {credentials: "same-origin"})
    .then(function (r) { if (!r.ok) throw new Error(I.t("js.analyst.server_answered", r.status)); return r.json(); })
    .then(function (d) {
      if (!d.rows.length) { document.getElementById("conversion-none").hidden = false; return; }
      var body = document.querySelector("#table-conversion tbody");
      d.rows.forEach(function (r) {
        var tr = document.createElement("tr");
        [r.year, r.identified, r.committed, r.rate, r.median_days_to_commit].forEach(function (v, i) {
          var td = document.createElement("td");
          td.textContent = i === 0 ? String(v) : v === null ? "\u2013" : i === 3 ? I.pct(Number(v), 1) : I.num(v);
          if (i > 0) { td.className = "num"; td.dataset.sort = v === null ? "-1" : String(v); }
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    })
    .catch(function (e) {
      var p = document.createElement("p"); p.className = "error"; p.textContent = I.t("js.analyst.load_failed", e.message);
      document.getElementById("conversion-none").after(p);
    });
})();
