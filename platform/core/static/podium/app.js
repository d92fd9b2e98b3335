// Live fragments: pushed by server-sent events, polled only while the stream is
// down (see live()). Times are shown in the viewer's time zone, with UTC on hover.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The server's format (2026-11-30 16:56 UTC) in the viewer's own time zone: 2026-11-30 17:56.
  function localTime(when) {
    return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) + " " +
      pad(when.getHours()) + ":" + pad(when.getMinutes());
  }

  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.localized) return;
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.title = el.textContent.trim();
      el.textContent = localTime(when);
      el.dataset.localized = "1";
    });
    // A chart's time labels (SVG text: its hover text is a <title> child) and its points' titles.
    root.querySelectorAll("svg [data-utc]").forEach(function (el) {
      if (el.dataset.localized) return;
      var when = new Date(el.dataset.utc);
      if (isNaN(when)) return;
      var utc = el.textContent.match(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      if (!utc) return;
      if (el.tagName.toLowerCase() === "title") {
        el.textContent = el.textContent.replace(utc[0], localTime(when) + " (" + utc[0] + ")");
      } else {
        el.textContent = localTime(when);
        var hover = document.createElementNS("http://www.w3.org/2000/svg", "title");
        hover.textContent = utc[0];
        el.appendChild(hover);
      }
      el.dataset.localized = "1";
    });
  }

  // A box that scrolls sideways (a wide table on a phone) takes the keyboard focus, so it can be scrolled
  // without a mouse; one that fits stays out of the tab order.
  function focusableScrollers(root) {
    root.querySelectorAll(".table, .table-scroll").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.tabIndex = 0;
        if (!el.getAttribute("aria-label")) el.setAttribute("aria-label", "Table (scrolls sideways)");
      } else if (el.tabIndex === 0) {
        el.removeAttribute("tabindex");
      }
    });
  }

  // The viewer's own team is highlighted here: pushed tables are shared by every viewer of a view.
  function markMine(el) {
    var team = el.dataset.myTeam;
    if (!team) return;
    el.querySelectorAll('tr[data-team="' + team + '"]').forEach(function (row) { row.classList.add("mine"); });
  }

  // A live element: pushed by server-sent events (data-stream-url), polled from
  // data-poll-url (If-None-Match, so an unchanged poll is an empty 304) only
  // while the stream is down. A stream sends either the new content ("board"),
  // or "changed", after which the element fetches its content once.
  function live(el) {
    var pollUrl = el.dataset.pollUrl;
    var interval = parseInt(el.dataset.pollMs || "2000", 10);
    var etag = null, timer = null, polling = false;
    function show(html) { el.innerHTML = html; localizeTimes(el); markMine(el); focusableScrollers(el); }
    function refresh() {
      var headers = etag ? { "If-None-Match": etag } : {};
      return fetch(pollUrl, { headers: headers, credentials: "same-origin" }).then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          return response.text().then(show);
        }
      }).catch(function () { /* retried on the next tick or event */ });
    }
    function tick() {
      timer = null;
      if (!polling) return;
      (document.hidden ? Promise.resolve() : refresh()).finally(function () {
        if (polling && !timer) timer = setTimeout(tick, interval);
      });
    }
    function startPolling() { if (!polling) { polling = true; timer = setTimeout(tick, interval); } }
    function stopPolling() { polling = false; clearTimeout(timer); timer = null; }
    markMine(el);
    var streamUrl = el.dataset.streamUrl;
    if (!streamUrl || !window.EventSource) { startPolling(); return; }
    if (el.dataset.version) streamUrl += (streamUrl.indexOf("?") < 0 ? "?" : "&") + "v=" + el.dataset.version;
    var stream = new EventSource(streamUrl);
    stream.addEventListener("open", stopPolling);
    stream.addEventListener("error", startPolling);  // EventSource reconnects by itself; poll meanwhile
    stream.addEventListener("board", function (event) { etag = null; show(event.data); });
    stream.addEventListener("changed", refresh);
    // Queue places move as other teams' submissions finish: a slow refresh while one of ours waits.
    setInterval(function () {
      if (!polling && !document.hidden && el.querySelector('[data-pending="1"]')) refresh();
    }, 5000);
  }

  // A pending submission's page reloads when its state moves (pushed; a slow reload if the stream is down).
  function reloadOnState(el) {
    var fallback = null;
    function later() { if (!fallback) fallback = setTimeout(function () { window.location.reload(); }, 3000); }
    if (!window.EventSource) { later(); return; }
    var stream = new EventSource(el.dataset.streamUrl);
    stream.addEventListener("state", function (event) {
      if (event.data !== el.dataset.reloadOnState) { stream.close(); window.location.reload(); }
    });
    stream.addEventListener("open", function () { clearTimeout(fallback); fallback = null; });
    stream.addEventListener("error", later);
  }

  // A form with data-upload-progress is sent with XMLHttpRequest so that a large
  // file shows its upload progress; the server's answer (a redirect to "my
  // submissions", or the form again with an error) is then shown as usual.
  function uploadWithProgress(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = box.querySelector("progress");
      var label = box.querySelector("span");
      var button = form.querySelector("button[type=submit]");
      box.hidden = false;
      button.disabled = true;
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.round(100 * e.loaded / e.total);
        bar.value = percent;
        label.textContent = percent < 100 ? "Uploading… " + percent + "%" : "Uploaded; checking…";
      };
      request.onload = function () {
        if (request.responseURL && request.responseURL !== window.location.href) {
          window.location.href = request.responseURL;
        } else {
          document.open(); document.write(request.responseText); document.close();
        }
      };
      request.onerror = function () {
        label.textContent = "The upload failed (connection lost). Try again.";
        button.disabled = false;
      };
      request.send(new FormData(form));
    });
  }

  // Parts of a form that concern one kind of submission (data-for-kind) show only while it is chosen.
  function showForKind(select) {
    var update = function () {
      select.form.querySelectorAll("[data-for-kind]").forEach(function (part) {
        part.hidden = part.getAttribute("data-for-kind") !== select.value;
      });
    };
    select.addEventListener("change", update);
    update();
  }

  // Which other metric wide tables show (.metric-cols[data-show]): chosen above the table, kept per competition.
  function metricSwitch(select) {
    var key = "podium-metric:" + select.getAttribute("data-metric-switch");
    function apply(value) {
      document.querySelectorAll(".metric-cols").forEach(function (el) { el.setAttribute("data-show", value); });
      focusableScrollers(document);
    }
    var saved = null;
    try { saved = window.localStorage.getItem(key); } catch (e) { /* storage off: the default stays */ }
    if (saved !== null && select.querySelector('option[value="' + saved + '"]')) { select.value = saved; apply(saved); }
    select.addEventListener("change", function () {
      apply(select.value);
      try { window.localStorage.setItem(key, select.value); } catch (e) { /* not kept, still shown */ }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-metric-switch]").forEach(metricSwitch);
    localizeTimes(document);
    focusableScrollers(document);
    window.addEventListener("resize", function () { focusableScrollers(document); });
    document.addEventListener("toggle", function () { focusableScrollers(document); }, true);
    document.querySelectorAll("select[data-shows-kind]").forEach(showForKind);
    document.querySelectorAll("form[data-upload-progress]").forEach(uploadWithProgress);
    document.querySelectorAll("[data-poll-url]").forEach(live);
    document.querySelectorAll("[data-reload-on-state]").forEach(reloadOnState);
  });
})();
