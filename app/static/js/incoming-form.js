/* Register form: show the number the document would get and the default deadline. */
(function ($) {
  function refresh() {
    var params = {
      register_id: $("#register_id").val() || "",
      arrival: $("#arrival_at").val() || "",
      document_type_id: $("#document_type_id").val() || "",
      urgency_id: $("#urgency_id").val() || ""
    };
    $.getJSON("/incoming/preview", params, function (data) {
      $("#number-preview").text(data.number || "");
      $("#deadline-preview").text(data.deadline ? ("→ " + data.deadline) : "");
    });
  }
  $(function () {
    $("#register_id, #document_type_id, #urgency_id, #arrival_at").on("change", refresh);
    refresh();
  });
})(window.jQuery);
