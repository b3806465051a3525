// The console's own script (served from /assets, never inline: the pages' CSP allows
// scripts only from us). Shows times in the reader's time zone and asks before
// destructive actions. Everything works without it.
"use strict";
(function () {
  function localizeTimes(root) {
    var fmt;
    try {
      fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
        { dateStyle: "medium", timeStyle: "short" });
    } catch (e) { return; }
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      if (t.dataset.localized) return;
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      t.title = t.getAttribute("datetime");
      t.textContent = fmt.format(d);
      t.dataset.localized = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localizeTimes(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localizeTimes(e.target); });
  document.addEventListener("submit", function (e) {
    var q = e.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) e.preventDefault();
  }, true);
})();
