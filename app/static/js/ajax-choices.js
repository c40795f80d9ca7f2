/* Filters on related records (app.core.views.ChoicesOnDemand): an empty <select> that select2
   fills from the grid's choices endpoint as the reader types, instead of every related table
   rendered as a dropdown on every page. FAB's filter script (ab_filters.js) adds the <select>
   to the page when a filter is added or restored from the address: this one notices it, gives
   it select2 with AJAX and, for a restored filter, the label of the chosen entry. */
(function ($) {
  if (!$ || !$.fn.select2) { return; }

  function chosenValue($select) {
    // A restored filter carries its value in the address under the field's name (_flt_0_x).
    var name = $select.attr("name");
    return name ? new URLSearchParams(window.location.search).get(name) : null;
  }

  function enhance(select) {
    var $select = $(select);
    if ($select.data("ajax-choices-ready")) { return; }
    $select.data("ajax-choices-ready", true);
    var url = $select.attr("data-choices");
    $select.select2({
      theme: "bootstrap",
      width: "100%",
      ajax: {
        url: url,
        dataType: "json",
        delay: 250,
        data: function (params) { return { q: params.term || "", page: params.page || 1 }; }
      }
    });
    var value = chosenValue($select);
    if (value) {
      $.getJSON(url, { id: value }).done(function (data) {
        var entry = (data.results || [])[0];
        if (entry) {
          $select.append(new Option(entry.text, entry.id, true, true)).trigger("change");
        }
      });
    }
  }

  function enhanceWithin(node) {
    if (node.nodeType !== 1) { return; }
    if (node.matches("select.ajax-choices")) { enhance(node); }
    node.querySelectorAll("select.ajax-choices").forEach(enhance);
  }

  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) { mutation.addedNodes.forEach(enhanceWithin); });
  }).observe(document.documentElement, { childList: true, subtree: true });
  $(function () { enhanceWithin(document.body); });
})(window.jQuery);
