/* Nothing typed is lost, on forms that take files (enctype multipart/form-data) or are marked
   data-guard (data-no-guard opts out):
   - Enter in a one-line field (text, date, number…) does not send the half-filled form;
     Enter in a text area still starts a new line, Enter on a button still sends.
   - Leaving the page (a menu link, reload, closing the tab) with changes not saved asks first
     (the browser's own "leave the page?" dialog). A form sent back with an error holds
     unsaved input from the start.
   - "Bỏ" ticked beside a kept file (templates/_kept_files.html) strikes its name through. */
(function () {
  "use strict";

  var ONE_LINE = ["text", "search", "email", "url", "tel", "number", "date", "datetime-local",
                  "month", "week", "time", "password"];

  function guarded(form) {
    if (!form || form.tagName !== "FORM" || form.hasAttribute("data-no-guard")) {
      return false;
    }
    return (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data" ||
      form.hasAttribute("data-guard");
  }

  function formOf(element) {
    if (!element) { return null; }
    if (element.form) { return element.form; }
    return element.closest ? element.closest("form") : null;
  }

  // -- Enter
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing || event.altKey || event.ctrlKey ||
        event.metaKey) {
      return;
    }
    var target = event.target;
    if (!target || target.tagName !== "INPUT") { return; }
    var type = (target.getAttribute("type") || "text").toLowerCase();
    if (ONE_LINE.indexOf(type) < 0 || !guarded(formOf(target))) { return; }
    event.preventDefault();  // no implicit submission; other handlers (pickers) still run
  }, true);

  // -- unsaved changes
  var snapshots = [];  // [form, serialized state at load]

  function state(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "hidden" || el.name === "csrf_token") {
        return;
      }
      if (el.type === "checkbox" || el.type === "radio") {
        parts.push(el.name + "=" + (el.checked ? el.value : ""));
      } else if (el.type === "file") {
        parts.push(el.name + "=" + Array.prototype.map.call(el.files || [], function (f) {
          return f.name;
        }).join("|"));
      } else if (el.tagName === "SELECT") {
        parts.push(el.name + "=" + Array.prototype.filter.call(el.options, function (o) {
          return o.selected;
        }).map(function (o) { return o.value; }).join("|"));
      } else {
        parts.push(el.name + "=" + el.value);
      }
    });
    return parts.join("\n");
  }

  function changed(form) {
    if (form.getAttribute("data-guard-sent") === "1") { return false; }
    if (form.getAttribute("data-guard-unsaved") === "1") { return true; }
    if (form.getAttribute("data-guard-touched") !== "1") { return false; }
    for (var i = 0; i < snapshots.length; i++) {
      if (snapshots[i][0] === form) { return state(form) !== snapshots[i][1]; }
    }
    return false;
  }

  function touch(event) {
    var form = formOf(event.target);
    if (guarded(form)) { form.setAttribute("data-guard-touched", "1"); }
  }
  document.addEventListener("input", touch, true);
  document.addEventListener("change", touch, true);
  if (window.jQuery) {  // select2 and pickers announce their changes through jQuery only
    window.jQuery(document).on("change", "form :input", touch);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!guarded(form)) { return; }
    form.setAttribute("data-guard-sent", "1");
    setTimeout(function () {  // another handler stopped it (a confirmation): still unsaved
      if (event.defaultPrevented) { form.removeAttribute("data-guard-sent"); }
    }, 0);
  });

  window.addEventListener("beforeunload", function (event) {
    for (var i = 0; i < snapshots.length; i++) {
      if (changed(snapshots[i][0])) {
        event.preventDefault();
        event.returnValue = "";  // the browser shows its own "leave the page?" message
        return "";
      }
    }
    return undefined;
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {  // back to this page from the history: it can be sent again
      snapshots.forEach(function (pair) { pair[0].removeAttribute("data-guard-sent"); });
    }
  });

  function start() {
    Array.prototype.forEach.call(document.forms, function (form) {
      if (!guarded(form)) { return; }
      snapshots.push([form, state(form)]);
      // sent back with an error, or holding files kept from the last round: not saved yet
      if (form.querySelector(".has-error, .error-message, .kept-file")) {
        form.setAttribute("data-guard-unsaved", "1");
      }
    });
  }

  // -- "Bỏ" beside a kept file
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || !box.closest || !box.closest(".kept-file-drop")) { return; }
    var row = box.closest(".kept-file");
    var name = row && row.querySelector(".kept-file-name");
    if (name) { name.style.textDecoration = box.checked ? "line-through" : ""; }
  });

  if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start);  // after the other scripts filled their fields
  }
})();
