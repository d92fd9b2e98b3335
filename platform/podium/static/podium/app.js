// Live fragments: an element with data-poll-url is refreshed from that URL every
// data-poll-ms milliseconds. The server answers 304 when nothing changed, so an
// idle page costs one cheap request per interval. Times are shown in the viewer's
// time zone, with UTC on hover.
(function () {
  "use strict";

  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.localized) return;
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.title = el.textContent.trim();
      el.textContent = when.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      });
      el.dataset.localized = "1";
    });
  }

  function poll(el) {
    var url = el.dataset.pollUrl;
    var interval = parseInt(el.dataset.pollMs || "2000", 10);
    var etag = null;
    function tick() {
      if (document.hidden) { setTimeout(tick, interval); return; }
      var headers = etag ? { "If-None-Match": etag } : {};
      fetch(url, { headers: headers, credentials: "same-origin" }).then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          return response.text().then(function (html) {
            el.innerHTML = html;
            localizeTimes(el);
          });
        }
      }).catch(function () { /* a failed poll is retried on the next tick */ })
        .finally(function () { setTimeout(tick, interval); });
    }
    setTimeout(tick, interval);
  }

  document.addEventListener("DOMContentLoaded", function () {
    localizeTimes(document);
    document.querySelectorAll("[data-poll-url]").forEach(poll);
    if (document.querySelector("[data-reload-while-pending]")) {
      setTimeout(function () { window.location.reload(); }, 1500);
    }
  });
})();
