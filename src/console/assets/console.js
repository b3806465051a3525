// The console's own script (served from /assets, never inline: the pages' CSP allows
// scripts only from us). Shows times in the reader's time zone, asks before destructive
// actions and keeps unsent texts. Everything works without it.
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
  // What an agent types in a form's text (a reply, a note) is kept in this tab until that
  // form is done (the page says ?done=<its action>), so that leaving the page by mistake or
  // a session that ends loses nothing: it comes back into the empty form.
  function keepDrafts() {
    var done = new URLSearchParams(window.location.search).get("done");
    document.querySelectorAll("form[method=post] textarea[name=body]").forEach(function (area) {
      var action = area.form.getAttribute("action") || "";
      var key = "mailcase draft " + action;
      try {
        if (done && action.endsWith("/" + done)) {
          window.sessionStorage.removeItem(key);
        } else if (!area.value) {
          var kept = window.sessionStorage.getItem(key);
          if (kept) {
            area.value = kept;
            var said = document.createElement("p");
            said.className = "muted draft-restored";
            said.textContent = "Your unsent text was put back.";
            area.insertAdjacentElement("afterend", said);
          }
        }
      } catch (e) { return; }  // storage refused (private mode): the form works as it is
      area.addEventListener("input", function () {
        try { window.sessionStorage.setItem(key, area.value); } catch (e) { /* full or refused */ }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", keepDrafts);
  document.addEventListener("submit", function (e) {
    var q = e.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) e.preventDefault();
  }, true);
})();
