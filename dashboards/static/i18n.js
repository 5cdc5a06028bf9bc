// The page's language for scripts: messages from the catalogue (its "js."
// keys, put in the page by the server) and numbers, money and dates by the
// browser's CLDR data (Intl), as the server formats them.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var el = document.getElementById("i18n-messages");
  var messages = el ? JSON.parse(el.textContent || "{}") : {};
  // t("js.key", a, b) fills %s, %d and %[n]s with the arguments, as Go's printf.
  function t(key) {
    var args = Array.prototype.slice.call(arguments, 1), next = 0;
    var msg = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return msg.replace(/%(?:\[(\d+)\])?([sdvq%])/g, function (all, idx, verb) {
      if (verb === "%") { return "%"; }
      var v = idx ? args[Number(idx) - 1] : args[next++];
      return v === undefined ? "" : String(v);
    });
  }
  // Chromium's ICU data has no Kazakh number symbols (it writes 1,234.5 for
  // "kk"); CLDR's Kazakh ones are the Russian ones, as the server writes them.
  var numberLang = lang === "kk" ? "ru" : lang;
  var numbers = {};
  // num formats a number (or a decimal given as text, kept exact up to 15 digits) for the page's language.
  function num(v, places) {
    var n = typeof v === "number" ? v : Number(v);
    if (!isFinite(n)) { return String(v); }
    var key = places === undefined ? "auto" : places;
    if (!numbers[key]) {
      numbers[key] = new Intl.NumberFormat(numberLang, places === undefined ? { maximumFractionDigits: 20 } :
        { minimumFractionDigits: places, maximumFractionDigits: places });
    }
    return numbers[key].format(n);
  }
  function money(v, code) { return num(v) + (code ? "\u00a0" + code : ""); }
  function pct(share, places) { return num(share * 100, places || 0) + (lang === "en" ? "%" : "\u00a0%"); }
  // day formats "2026-12-07" as 07.12.2026 (ru, kk) or 7 Dec 2026 (en).
  function day(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s || "");
    if (!m) { return s || ""; }
    if (lang === "en") {
      var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
      return Number(m[3]) + " " + months[Number(m[2]) - 1] + " " + m[1];
    }
    return m[3] + "." + m[2] + "." + m[1];
  }
  // label names an enumeration's value, as the server's label: enum.<kind>.<value>.
  function label(kind, value) {
    var key = "enum." + kind + "." + value;
    return Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : value;
  }
  window.econdipI18n = { lang: lang, t: t, num: num, money: money, pct: pct, day: day, label: label };
})();
