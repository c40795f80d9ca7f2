/* Registration form: the fields proposed from a scan (POST /incoming/propose, which saves
   nothing). When the clerk chooses a file, or presses "Đọc bản quét", the first PDF or image
   chosen is read; the EMPTY fields are filled with the proposals, each marked as proposed
   (the form group gets "has-warning ocr-proposed" and a line saying so) for the clerk to check; a field
   the clerk then changes loses its mark. Nothing is saved until the clerk presses the form's
   save button. The texts come from the button's data- attributes (translated by the page). */
(function ($) {
  "use strict";
  var SCAN = /\.(pdf|jpe?g|png|tiff?)$/i;
  var NORMAL_FIRST = { urgency_id: true, secrecy_id: true }; // "Thường" counts as empty

  function chosenFile() {
    var input = document.getElementById("files");
    if (!input || !input.files) { return null; }
    for (var i = 0; i < input.files.length; i += 1) {
      if (SCAN.test(input.files[i].name)) { return input.files[i]; }
    }
    return null;
  }

  function status(text, css) {
    $("#ocr-status").removeClass("text-danger text-success text-muted")
      .addClass(css || "text-muted").text(text || "");
  }

  function isEmpty(name, $field) {
    var value = $field.val();
    if (NORMAL_FIRST[name] && $field.is("select")) {
      return !value || value === $field.find("option").first().val();
    }
    return !value || !String(value).trim();
  }

  function unmark($group) {
    $group.removeClass("has-warning ocr-proposed").find(".ocr-proposed-badge").remove();
  }

  function mark($field, badge, read) {
    var $group = $field.closest(".form-group");
    unmark($group);
    var $badge = $('<span class="help-block ocr-proposed-badge"></span>').text(" " + badge)
      .prepend('<i class="fa fa-wand-magic-sparkles" aria-hidden="true"></i>');
    if (read) { $badge.attr("title", read); }
    $group.addClass("has-warning ocr-proposed").append($badge);
    // the clerk's own change confirms the field as theirs: the mark goes
    $field.one("input.ocr", function () { unmark($group); });
    if ($field.is("select")) {
      $field.one("select2:select.ocr", function () { unmark($group); });
    }
  }

  function fill(fields, badge) {
    var filled = 0;
    $.each(fields, function (name, proposal) {
      var $field = $("#" + name);
      if (!$field.length || proposal.value === null || proposal.value === undefined) { return; }
      if (!isEmpty(name, $field)) { return; }
      // an agency the catalog lacks is proposed as a new one, unless one is chosen already
      if (name === "new_agency" && $("#agency_id").val()) { return; }
      var value = String(proposal.value);
      if ($field.is("select")) {
        if (!$field.find("option").filter(function () { return this.value === value; }).length) {
          $field.append($("<option></option>").attr("value", value).text(proposal.label || value));
        }
        $field.val(value).trigger("change");
      } else {
        $field.val(value).trigger("change");
      }
      mark($field, badge, proposal.text);
      filled += 1;
    });
    return filled;
  }

  function read($button) {
    var file = chosenFile();
    if (!file) { status($button.data("no-file"), "text-danger"); return; }
    var data = new FormData();
    data.append("file", file, file.name);
    var token = $button.closest("form").find("input[name=csrf_token]").val() || "";
    data.append("csrf_token", token);
    $button.prop("disabled", true);
    status($button.data("reading"), "text-muted");
    $.ajax({
      url: $button.data("url"), type: "POST", data: data, processData: false,
      contentType: false, dataType: "json", headers: { "X-CSRFToken": token }
    }).done(function (answer) {
      fill(answer.fields || {}, $button.data("badge"));
      status(answer.message || "", "text-success");
    }).fail(function (xhr) {
      var answer = xhr.responseJSON || {};
      status(answer.message || $button.data("failed"), "text-danger");
    }).always(function () {
      $button.prop("disabled", false);
    });
  }

  $(function () {
    var $button = $("#ocr-read");
    if (!$button.length) { return; }
    $button.on("click", function () { read($button); });
    $("#files").on("change", function () { if (chosenFile()) { read($button); } });
  });
})(window.jQuery);
