// The decision page's link picker (decision.html, form "link-form"): typing
// asks the dashboard's /api/search for the leads and deals the user may
// link the decision to; picking one fills the form's kind and target id,
// and the form posts the link command as before. Without this script the
// form takes a pasted id and its kind.
(function () {
  "use strict";
  var T = window.econdipI18n;
  var form = document.getElementById("link-form");
  if (!form) { return; }
  var box = form.querySelector("[data-link-search]");
  var list = form.querySelector("[data-link-results]");
  var target = form.querySelector("input[name=target_id]");
  var kind = form.querySelector("select[name=kind]");
  var chosen = form.querySelector("[data-link-chosen]");
  if (!box || !list || !target || !kind || !chosen) { return; }
  form.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
  var timer = null, asked = 0;
  function note(text) {
    var li = document.createElement("li");
    li.className = "muted";
    li.textContent = text;
    list.replaceChildren(li);
  }
  function pick(hit, text) {
    target.value = hit.id;
    kind.value = hit.kind;
    chosen.textContent = text;
    list.replaceChildren();
  }
  function run() {
    var q = box.value.trim(), mine = ++asked;
    if (!q) { list.replaceChildren(); return; }
    fetch("/api/search?for=link&kinds=lead,deal&limit=10&q=" + encodeURIComponent(q),
      { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        if (mine !== asked) { return; }
        var hits = data.results || [];
        if (!hits.length) { note(T.t("js.search.none")); return; }
        list.replaceChildren();
        hits.forEach(function (h) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button";
          b.className = "link link-pick";
          b.dataset.id = h.id;
          b.dataset.kind = h.kind;
          b.textContent = T.t("js.search.kind_" + h.kind) + ": " + (h.title || h.id) + (h.subtitle ? " · " + h.subtitle : "");
          b.addEventListener("click", function () { pick(h, b.textContent); });
          li.appendChild(b);
          list.appendChild(li);
        });
      })
      .catch(function () { if (mine === asked) { note(T.t("js.search.failed")); } });
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
  // Enter in the search field searches at once rather than posting the form.
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); run(); }
  });
})();
