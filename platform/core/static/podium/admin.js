// The competition form in the admin: a live preview of each Markdown field (overview, evaluation, rules),
// rendered and sanitized by the server exactly as the public pages render it.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function preview(textarea, url) {
    var box = document.createElement("div");
    box.className = "markdown-preview";
    box.setAttribute("aria-live", "polite");
    box.setAttribute("aria-label", "Preview");
    textarea.insertAdjacentElement("afterend", box);
    var timer = null;
    function render() {
      var body = new URLSearchParams({ text: textarea.value });
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
                   headers: { "X-CSRFToken": csrfToken(textarea.form) } })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { box.innerHTML = html || '<p class="help">Nothing to preview yet.</p>'; });
    }
    textarea.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(render, 300); });
    render();
  }

  // Beside the truth field: the format of the task chosen above, open; the others folded. The ranking metric
  // offers only the chosen task's metrics (a chosen one that does not rank it goes back to the primary).
  function followTask(select) {
    function update() {
      document.querySelectorAll(".truth-formats details[data-task]").forEach(function (details) {
        details.open = details.getAttribute("data-task") === select.value;
      });
      var metric = document.getElementById("id_metric");
      if (!metric) return;
      Array.prototype.forEach.call(metric.options, function (option) {
        var tasks = option.getAttribute("data-tasks");
        var ranks = !tasks || tasks.split(" ").indexOf(select.value) >= 0;
        option.hidden = !ranks;
        option.disabled = !ranks;
        if (!ranks && option.selected) metric.value = "";
      });
    }
    select.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var task = document.getElementById("id_task");
    if (task) followTask(task);
    var marker = document.querySelector("[data-markdown-preview-url]");
    if (!marker) return;
    var url = marker.getAttribute("data-markdown-preview-url");
    ["id_overview", "id_evaluation", "id_rules"].forEach(function (id) {
      var textarea = document.getElementById(id);
      if (textarea) preview(textarea, url);
    });
  });
})();
