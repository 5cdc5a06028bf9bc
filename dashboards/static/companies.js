// The company field of the lead and deal forms: type a few letters of a
// company's name, pick it from the register's list (its id goes into the
// hidden <field>_id input); a name typed that is not picked leaves the id
// empty, and the dashboard then matches it against the register before it
// creates a company, asking about likely duplicates. Without JavaScript the
// name is typed and the same check runs on submit.
(function () {
  "use strict";
  document.querySelectorAll("[data-company-field]").forEach(function (box) {
    var field = box.dataset.companyField;
    var input = box.querySelector('input[name="' + field + '_name"]');
    var hidden = box.querySelector('input[name="' + field + '_id"]');
    var list = box.querySelector("datalist");
    var found = {}; // name -> id, of the companies listed so far
    var timer = null, seq = 0;
    if (!input || !hidden || !list) {
      return;
    }
    function country() {
      if (box.dataset.country) {
        return box.dataset.country;
      }
      var from = box.dataset.countryFrom && document.querySelector('[name="' + box.dataset.countryFrom + '"]');
      return from ? from.value : "";
    }
    function sync() {
      hidden.value = found[input.value] || "";
    }
    function search() {
      var q = input.value.trim();
      if (q.length < 2) {
        return;
      }
      var mine = ++seq;
      var params = new URLSearchParams({ q: q });
      if (country()) {
        params.set("country", country());
      }
      fetch("/api/companies?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { companies: [] }; })
        .then(function (d) {
          if (mine !== seq) {
            return;
          }
          list.textContent = "";
          (d.companies || []).forEach(function (c) {
            found[c.name] = c.id;
            var o = document.createElement("option");
            o.value = c.name;
            if (c.name_latin && c.name_latin !== c.name) {
              o.label = c.name_latin;
            }
            list.appendChild(o);
          });
          sync();
        })
        .catch(function () { /* the register is unreachable: the name stays typed */ });
    }
    input.addEventListener("input", function () {
      sync();
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
  });
})();
