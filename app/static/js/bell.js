// The bell's number, kept current without reloading the page: the page asks the server every
// data-poll-seconds (BELL_POLL_SECONDS) while it is visible — no push service on an intranet.
// The server does not count these requests as the person's activity (an idle session still
// ends). When the session has ended or the server cannot be reached, the bell stays as it is.
(function () {
  "use strict";
  var bell = document.querySelector(".notification-bell[data-count-url]");
  if (!bell || !window.fetch) { return; }
  var seconds = parseInt(bell.getAttribute("data-poll-seconds"), 10);
  if (!(seconds > 0)) { return; }
  var timer = null;

  function show(unread) {
    var badge = bell.querySelector(".notification-count");
    if (unread > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge notification-count";
        bell.appendChild(document.createTextNode(" "));
        bell.appendChild(badge);
      }
      badge.textContent = String(unread);
    } else if (badge) {
      badge.parentNode.removeChild(badge);
    }
    bell.setAttribute("aria-label", bell.getAttribute("data-label") + ": " + unread);
  }

  function ask() {
    if (document.hidden) { return; }
    fetch(bell.getAttribute("data-count-url"), {
      credentials: "same-origin", headers: { "Accept": "application/json" }, redirect: "error"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      if (typeof data.unread === "number") { show(data.unread); }
    }).catch(function () {
      window.clearInterval(timer);  // the session ended, or no server: stop asking
    });
  }

  timer = window.setInterval(ask, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { ask(); } });
})();
