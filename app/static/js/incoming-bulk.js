/* The incoming grid's daily batches: "select all on the page", the count of selected rows,
   and the chosen action kept in a hidden field (so that a confirmation step which submits the
   form itself still sends which button was pressed). The server checks every document. */
(function () {
  "use strict";
  var form = document.getElementById("incoming-bulk");
  if (!form) { return; }
  var all = form.querySelector(".bulk-all");
  var count = form.querySelector(".bulk-count");
  var chosen = form.querySelector(".bulk-action-chosen");
  function boxes() { return document.querySelectorAll("input.bulk-select[form='incoming-bulk']"); }
  var more = form.querySelector(".bulk-more");
  function loadMore() {
    // Presenting and assigning need lists of leaders, units and people: fetched once, when
    // the first row is ticked, rather than on every page of the grid.
    if (!more || more.dataset.loaded) { return; }
    more.dataset.loaded = "1";
    fetch(more.dataset.src, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (html) {
      more.innerHTML = html;
      more.hidden = false;
      refresh();
    }).catch(function () { delete more.dataset.loaded; });
  }
  function refresh() {
    var n = 0;
    boxes().forEach(function (box) { if (box.checked) { n += 1; } });
    count.textContent = String(n);
    if (n > 0) { loadMore(); }
    form.querySelectorAll("button[name='bulk_action']").forEach(function (button) {
      button.disabled = n === 0;
    });
  }
  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("bulk-select")) { refresh(); }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[name='bulk_action']");
    if (button && button.form === form) { chosen.value = button.value; }
  }, true);
  refresh();
}());
