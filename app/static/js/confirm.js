/* Confirmations in the page, not the browser's alert (loaded on every page by
   templates/appbuilder/init.html, which gives the words: data-title, data-cancel, data-ok).

   <form data-confirm="Question?"> or <button type="submit" data-confirm="Question?">: pressing
   the button (or Enter in the form) shows a dialog with the question and "Hủy" / OK; the form is
   sent only on OK, with the button that was pressed. data-confirm-ok="Thu hồi" names the OK
   button. A link <a data-confirm="…" href="…"> is followed only on OK. Keyboard: the dialog
   takes the focus ("Hủy" first: Enter by reflex does nothing irreversible), Esc cancels, and
   the focus goes back to the button. */
(function () {
  "use strict";
  var words = document.currentScript ? document.currentScript.dataset : {};
  var $ = window.jQuery;
  var dialog = null;
  var lastButton = null;  // browsers without SubmitEvent.submitter
  var approved = null;  // the form (or link) whose next submit has been confirmed

  function build() {
    var node = document.createElement("div");
    // no "fade": shown at once, so that the focus (and Esc) is in the dialog at once too
    node.className = "modal eoffice-confirm";
    node.id = "eoffice-confirm";
    node.tabIndex = -1;
    node.setAttribute("role", "alertdialog");
    node.setAttribute("aria-modal", "true");
    node.setAttribute("aria-labelledby", "eoffice-confirm-title");
    node.setAttribute("aria-describedby", "eoffice-confirm-text");
    node.innerHTML =
      '<div class="modal-dialog" role="document"><div class="modal-content">' +
      '<div class="modal-header"><h4 class="modal-title" id="eoffice-confirm-title"></h4></div>' +
      '<div class="modal-body"><p id="eoffice-confirm-text"></p></div>' +
      '<div class="modal-footer">' +
      '<button type="button" class="btn btn-default confirm-cancel" data-dismiss="modal"></button>' +
      '<button type="button" class="btn confirm-ok"></button></div></div></div>';
    node.querySelector(".modal-title").textContent = words.title || "";
    node.querySelector(".confirm-cancel").textContent = words.cancel || "Hủy";
    document.body.appendChild(node);
    return node;
  }

  function ask(question, okLabel, danger, origin, proceed) {
    dialog = dialog || build();
    dialog.querySelector("#eoffice-confirm-text").textContent = question;
    var ok = dialog.querySelector(".confirm-ok");
    ok.textContent = okLabel || words.ok || "Đồng ý";
    ok.className = "btn confirm-ok " + (danger ? "btn-danger" : "btn-primary");
    var confirmed = false;
    var $dialog = $(dialog);
    ok.onclick = function () {
      confirmed = true;
      $dialog.modal("hide");
    };
    $dialog.off(".confirm")
      .on("shown.bs.modal.confirm", function () {
        dialog.querySelector(".confirm-cancel").focus();
      })
      .on("hidden.bs.modal.confirm", function () {
        $dialog.off(".confirm");
        if (confirmed) {
          proceed();
        } else if (origin && origin.focus) {
          origin.focus();
        }
      });
    $dialog.modal({ backdrop: "static", keyboard: true, show: true });
  }

  function isDanger(element) {
    return !!element && /\bbtn-(danger|warning)\b/.test(element.className || "");
  }

  function submitAgain(form, button) {
    approved = form;
    if (form.requestSubmit) {
      form.requestSubmit(button && button.form === form ? button : undefined);
      return;
    }
    if (button && button.name) {  // old browsers: keep the pressed button's name and value
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = button.name;
      field.value = button.value;
      form.appendChild(field);
    }
    form.submit();
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button, input[type=submit], a") : null;
    if (!target) return;
    if (target.tagName !== "A") {
      lastButton = target;
      return;
    }
    if (!target.hasAttribute("data-confirm")) return;
    if (approved === target) {
      approved = null;
      return;
    }
    event.preventDefault();
    ask(target.getAttribute("data-confirm"), target.getAttribute("data-confirm-ok"),
      isDanger(target), target, function () {
        approved = target;
        target.click();
      });
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (approved === form) {
      approved = null;
      return;
    }
    var button = event.submitter ||
      (lastButton && lastButton.form === form ? lastButton : null);
    var source = button && button.hasAttribute("data-confirm") ? button
      : form.hasAttribute("data-confirm") ? form : null;
    if (!source) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(source.getAttribute("data-confirm"), source.getAttribute("data-confirm-ok"),
      isDanger(button), button || form, function () { submitAgain(form, button); });
  }, true);
})();
