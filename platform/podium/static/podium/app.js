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

  document.addEventListener("DOMContentLoaded", function () {
    localizeTimes(document);
    document.querySelectorAll("select[data-shows-kind]").forEach(showForKind);
    document.querySelectorAll("form[data-upload-progress]").forEach(uploadWithProgress);
    document.querySelectorAll("[data-poll-url]").forEach(poll);
    if (document.querySelector("[data-reload-while-pending]")) {
      setTimeout(function () { window.location.reload(); }, 1500);
    }
  });
})();
