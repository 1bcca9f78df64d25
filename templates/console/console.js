// The run page, live: asks /admin/runs/<id>.json once a second and shows the run's own
// progress (its step, articles read, pages written, messages sent of those to send); when
// the run has ended, the page is loaded again to show its report. Without this script the
// page refreshes itself every 2 seconds (<noscript>), so nothing needs it.
(function () {
  "use strict";
  var box = document.getElementById("run");
  if (!box || box.dataset.state !== "running") { return; }
  var url = box.dataset.url;
  function put(id, value) {
    var el = document.getElementById(id);
    if (el && value !== undefined && value !== null) { el.textContent = String(value); }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        if (run.state !== "running") { window.location.reload(); return; }
        var p = run.progress || {};
        put("p-read", p.articles_read);
        put("p-to-read", p.articles_to_read);
        put("p-pages", p.pages_written);
        put("p-sent", p.sent);
        put("p-to-send", p.to_send);
        var stage = document.getElementById("p-stage");
        if (stage && p.stage && stage.dataset["s" + p.stage]) { stage.textContent = stage.dataset["s" + p.stage]; }
        var bar = document.getElementById("p-bar");
        if (bar) { bar.max = Math.max(p.to_send || 1, 1); bar.value = p.sent || 0; }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 500);
})();
