/* Vietnamese messages for FAB's bundled Select2 (it ships no translations). Loaded after
   select2.min.js and before FAB's ab.js initialises the widgets. */
(function ($) {
  if (!$ || !$.fn.select2 || !$.fn.select2.defaults) { return; }
  var messages = window.SELECT2_MESSAGES || {};
  $.fn.select2.defaults.set("language", {
    errorLoading: function () { return messages.errorLoading; },
    inputTooLong: function (a) { return messages.inputTooLong.replace("%d", a.input.length - a.maximum); },
    inputTooShort: function (a) { return messages.inputTooShort.replace("%d", a.minimum - a.input.length); },
    loadingMore: function () { return messages.loadingMore; },
    maximumSelected: function (a) { return messages.maximumSelected.replace("%d", a.maximum); },
    noResults: function () { return messages.noResults; },
    searching: function () { return messages.searching; },
    removeAllItems: function () { return messages.removeAllItems; },
    removeItem: function () { return messages.removeItem; },
    search: function () { return messages.search; }
  });
})(window.jQuery);
