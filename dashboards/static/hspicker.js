// The HS code picker: type a few letters of a description (or the first
// digits of a code), pick a 6-digit subheading from the list; its code goes
// into the form field named by data-target (appended, for data-multiple),
// with its sector and raw/non-raw classification shown under it. Without
// JavaScript the code is typed into the field directly.
(function () {
  "use strict";
  var i18n = window.econdipI18n;
  document.querySelectorAll(".hs-picker").forEach(function (picker) {
    var search = picker.querySelector(".hs-search");
    var list = picker.querySelector(".hs-results");
    var target = document.getElementById(picker.dataset.target);
    var chosen = document.getElementById(picker.dataset.target + "-chosen");
    var multiple = picker.dataset.multiple === "1";
    var timer = null, seq = 0;

    // label: the description in the page's language; an untranslated
    // subheading is shown under its translated heading or chapter (within).
    function label(h) {
      return (h.within ? h.within + " › " : "") + h.description;
    }
    function classification(h) {
      return (h.sector_name || i18n.t("js.attache.no_priority_sector")) + " · " + i18n.t(h.raw ? "js.attache.raw" : "js.attache.non_raw");
    }
    function describe(h) {
      return label(h) + " · " + classification(h);
    }
    function pick(h) {
      if (multiple) {
        var codes = target.value.split(/[\s,;]+/).filter(Boolean);
        if (codes.indexOf(h.code) < 0) { codes.push(h.code); }
        target.value = codes.join(", ");
      } else {
        target.value = h.code;
        if (chosen) { chosen.textContent = describe(h); }
      }
      list.innerHTML = "";
      search.value = "";
      target.focus();
    }
    function show(results, q) {
      list.innerHTML = "";
      if (!results.length) {
        var li = document.createElement("li");
        li.className = "muted";
        li.textContent = i18n.t("js.attache.hs_no_match", q);
        list.appendChild(li);
        return;
      }
      results.forEach(function (h) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "hs-option level-" + h.level;
        b.disabled = h.level !== 6; // a deal or barrier names a 6-digit subheading
        b.dataset.code = h.code;
        b.innerHTML = "<code></code> <span></span> <small></small>";
        b.querySelector("code").textContent = h.code;
        b.querySelector("span").textContent = label(h);
        if (h.description_en && h.description_en !== h.description) { b.title = h.description_en; }
        b.querySelector("small").textContent = classification(h);
        b.addEventListener("click", function () { pick(h); });
        li.appendChild(b);
        list.appendChild(li);
      });
    }
    function run() {
      var q = search.value.trim();
      if (q.length < 2) { list.innerHTML = ""; return; }
      var mine = ++seq;
      fetch("/api/hs?limit=15&q=" + encodeURIComponent(q), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : r.json().then(function (e) { throw new Error(e.error || r.status); }); })
        .then(function (d) { if (mine === seq) { show(d.results, q); } })
        .catch(function (e) { if (mine === seq) { list.innerHTML = "<li class='error'></li>"; list.firstChild.textContent = i18n.t("js.attache.hs_search_failed", e.message); } });
    }
    search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 200); });
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { // pick the first 6-digit result instead of submitting the form
        e.preventDefault();
        var first = list.querySelector("button:not([disabled])");
        if (first) { first.click(); }
      }
    });
    if (chosen && !multiple) {
      target.addEventListener("change", function () { chosen.textContent = ""; });
    }
  });
})();
