/* An FYI line (nhận để biết) is done once read: opening the document page as its holder
   posts "Đã xem" (a POST with the page's CSRF token; a GET never writes). Without this
   script the "Đã xem" button of the line does the same. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-acknowledge]");
  if (!form || !window.fetch) { return; }
  fetch(form.action, {
    method: "POST", body: new FormData(form), credentials: "same-origin",
    headers: {"X-Requested-With": "fetch"}
  }).then(function (response) {
    if (!response.ok) { return; }
    var done = form.getAttribute("data-done-label");
    document.querySelectorAll("tr.line-fyi").forEach(function (row) {
      var button = row.querySelector("form .action-acknowledge");
      if (!button) { return; }
      row.querySelector(".line-state").textContent = done;
      button.closest("form").remove();
    });
    document.body.setAttribute("data-acknowledged", "1");
  });
}());
