/* Import from spreadsheets: while the mapping (checking) or the confirmation (writing) is
   sent, show a progress bar and the number of rows done, read from the server. */
(function () {
  "use strict";
  function watch(form) {
    var box = form.querySelector(".import-progress");
    if (!box) { return; }
    form.addEventListener("submit", function () {
      var count = box.querySelector(".import-count");
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      box.classList.remove("hidden");
      window.setInterval(function () {
        fetch(box.getAttribute("data-progress-url"), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : {}; })
          .then(function (p) {
            if (p && p.done) {
              count.textContent = "(" + p.done + (p.total ? " / " + p.total : "") + ")";
            }
          })
          .catch(function () {});
      }, 1000);
    });
  }
  document.querySelectorAll("form.import-form").forEach(watch);
})();
