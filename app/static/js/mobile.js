/* Phones (issue 22): loaded on every page by templates/eoffice_base.html, which gives the
   words (data-* of this script's tag). Registers the service worker (app/core/pwa.py) on every
   width; the rest runs only at phone width (<= 576 px), so that the desktop stays as it is:
   - the grids' rows and the tables that do not fit become cards, each cell with its column's
     name (static/css/mobile.css); the home page gets the first documents of the first inbox;
   - beside a dd/mm/yyyy field, a button opens the phone's own date picker;
   - the history and the change log of a record are folded behind a button;
   - the direction form shows one unit or person at a time ("Thêm đơn vị hoặc người"), chosen
     by typing part of a name: select2, whose matcher ignores case and accents (Đ is D);
   - the actions people take away from their desk ask for a confirmation (confirm.js), so that
     each is two taps: the button, then "Đồng ý". */
(function () {
  "use strict";
  var script = document.currentScript;
  var words = script ? script.dataset : {};
  var $ = window.jQuery;

  if ("serviceWorker" in navigator && words.sw && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(words.sw, { scope: words.scope || "/" }).catch(function () {});
    });
  }

  var phone = window.matchMedia ? window.matchMedia("(max-width: 576px)") : null;
  if (!phone || !phone.matches) { return; }
  document.documentElement.classList.add("m-phone");

  function text(node) { return (node.textContent || "").replace(/\s+/g, " ").trim(); }

  /* A grid (templates/appbuilder/general/widgets/list.html): each cell gets its column's name
     and label from the head (data-col, data-label), which mobile.css turns into a card. */
  function labelGrid(table) {
    if (table.classList.contains("m-labelled")) { return; }
    var heads = table.tHead ? Array.prototype.slice.call(table.tHead.rows[0].cells) : [];
    var columns = heads.map(function (th) {
      return { col: th.getAttribute("data-col") || "", label: text(th) };
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, index) {
          var column = columns[index];
          if (!column) { return; }
          cell.setAttribute("data-col", column.col);
          if (column.label) { cell.setAttribute("data-label", column.label); }
        });
      });
    });
    table.classList.add("m-labelled");
  }
  // at once: this script comes after the page's markup
  document.querySelectorAll("table.eoffice-grid").forEach(labelGrid);

  /* A table's cells get the label of their column (rowspan and colspan taken into account). */
  function cardify(table) {
    if (table.classList.contains("m-cards") || table.classList.contains("eoffice-grid")) { return; }
    var rows = Array.prototype.slice.call(table.rows);
    var headRow = rows.filter(function (row) {
      return row.cells.length && Array.prototype.every.call(row.cells, function (c) { return c.tagName === "TH"; });
    })[0];
    if (!headRow) { return; }
    var labels = [];
    Array.prototype.forEach.call(headRow.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i++) { labels.push(text(cell)); }
    });
    headRow.classList.add("m-head");
    var carried = [];  // column index -> rows still covered by a rowspan above
    rows.forEach(function (row) {
      if (row === headRow) { return; }
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        while (carried[column] > 0) { carried[column] -= 1; column += 1; }
        var whole = (cell.colSpan || 1) >= labels.length;  // "Chưa phân công": no label
        if (labels[column] && !whole && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", labels[column]);
        }
        if (!text(cell) && !cell.querySelector("input, select, textarea, button, img, a")) {
          cell.classList.add("m-empty");
        }
        if (cell.rowSpan > 1) { carried[column] = cell.rowSpan - 1; }
        if (cell.classList.contains("schedule-day")) { row.classList.add("m-day-start"); }
        column += cell.colSpan || 1;
      });
      while (column < carried.length) {
        if (carried[column] > 0) { carried[column] -= 1; }
        column += 1;
      }
    });
    table.classList.add("m-cards");
  }

  /* The heading before a table becomes a button that shows or hides it. */
  function fold(table) {
    var heading = table.previousElementSibling;
    if (!heading || !/^H[3-5]$/.test(heading.tagName) || heading.classList.contains("m-fold-done")) { return; }
    heading.classList.add("m-fold-done");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-default m-fold-toggle";
    button.setAttribute("aria-expanded", "false");
    button.innerHTML = '<span></span><i class="fa fa-chevron-down" aria-hidden="true"></i>';
    button.firstChild.textContent = text(heading) + " (" + Math.max(table.rows.length - 1, 0) + ")";
    heading.classList.add("m-folded");
    heading.parentNode.insertBefore(button, heading);
    table.classList.add("m-folded");
    button.addEventListener("click", function () {
      var folded = table.classList.toggle("m-folded");
      button.setAttribute("aria-expanded", folded ? "false" : "true");
    });
  }

  /* A <select> of units and people: type part of a name, any case, with or without accents
     (select2's own matcher strips the diacritics; FAB ships select2). */
  function searchable(select) {
    if (!$ || !$.fn.select2 || $(select).data("select2")) { return; }
    $(select).select2({
      theme: "bootstrap", width: "100%", allowClear: true,
      placeholder: words.choose || "", dropdownAutoWidth: false
    });
  }

  function directionForm(form) {
    var table = form.querySelector("table.assignment-rows");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.rows).filter(function (row) { return row.cells[0].tagName === "TD"; });
    rows.forEach(function (row, index) {
      if (index > 0) { row.classList.add("m-more"); }
    });
    if (rows.length > 1 && words.moreRows) {
      var more = document.createElement("button");
      more.type = "button";
      more.className = "btn btn-default btn-block m-add-row";
      more.innerHTML = '<i class="fa fa-plus" aria-hidden="true"></i> ';
      more.appendChild(document.createTextNode(words.moreRows));
      table.parentNode.insertBefore(more, table.nextSibling);
      more.addEventListener("click", function () {
        var hidden = table.querySelector("tr.m-more");
        if (hidden) { hidden.classList.remove("m-more"); }
        if (!table.querySelector("tr.m-more")) { more.remove(); }
      });
    }
    form.querySelectorAll("select[name=target]").forEach(searchable);
  }

  /* Posting forms of the daily actions (…/do/<action>, …/act) ask first when they do not yet:
     "the button, then Đồng ý". Actions that already ask keep their own question. */
  function confirmActions() {
    if (!words.confirm) { return; }
    document.querySelectorAll("form[method=post], form[method=POST]").forEach(function (form) {
      var action = form.getAttribute("action") || "";
      if (!/\/(do\/[a-z_]+|act)(\?|$)/.test(action) || form.hasAttribute("data-confirm") ||
          form.hasAttribute("data-auto-acknowledge")) { return; }
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        if (button.hasAttribute("data-confirm")) { return; }
        var label = button.tagName === "INPUT" ? button.value : text(button);
        button.setAttribute("data-confirm", words.confirm.replace("%s", label));
        if (label) { button.setAttribute("data-confirm-ok", label); }
      });
    });
  }

  /* Dates are typed dd/mm/yyyy (app.core.dates); beside such a field a calendar button opens
     the phone's own date picker, which writes the chosen day back as dd/mm/yyyy. */
  var DATE_TEXT = /^(dd\/mm\/yyyy|\d{2}\/\d{2}\/\d{4})$/;
  function datePicker(field) {
    if (field.type !== "text" && field.type !== "") { return; }
    if (field.closest(".m-date") || field.readOnly || field.disabled) { return; }
    var help = field.parentNode.querySelector(".help-block");
    var hint = (field.getAttribute("placeholder") || "").trim();
    var helpText = help ? text(help) : "";
    if (!DATE_TEXT.test(hint) && !(/^dd\/mm\/yyyy(,|$)/.test(helpText))) { return; }
    var wrap = document.createElement("span");
    wrap.className = "m-date";
    field.parentNode.insertBefore(wrap, field);
    wrap.appendChild(field);
    var pick = document.createElement("span");
    pick.className = "btn btn-default m-date-pick";
    pick.innerHTML = '<i class="fa fa-calendar-days" aria-hidden="true"></i>';
    var native = document.createElement("input");
    native.type = "date";
    native.tabIndex = -1;
    native.setAttribute("aria-label", words.pickDate || "");
    pick.appendChild(native);
    wrap.appendChild(pick);
    native.addEventListener("click", function () {
      try { native.showPicker(); } catch (error) { /* the browser opens it itself */ }
    });
    native.addEventListener("change", function () {
      var parts = (native.value || "").split("-");
      if (parts.length !== 3) { return; }
      field.value = parts[2] + "/" + parts[1] + "/" + parts[0];
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  /* Home: the first documents of the first inbox, as the grid's own cards. */
  function homeInbox(box) {
    if (!window.fetch || !window.DOMParser) { return; }
    fetch(box.getAttribute("data-src"), { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var grid = page.querySelector("table.eoffice-grid");
      if (!grid) { return; }
      Array.prototype.slice.call(grid.querySelectorAll("tbody > tr")).slice(5).forEach(function (row) { row.remove(); });
      var heading = document.createElement("h3");
      heading.className = "m-inbox-title";
      heading.textContent = box.getAttribute("data-title") || "";
      var all = document.createElement("a");
      all.className = "btn btn-default btn-block m-inbox-all";
      all.href = box.getAttribute("data-src");
      all.textContent = box.getAttribute("data-all") || "";
      box.appendChild(heading);
      var copy = document.importNode(grid, true);
      copy.classList.remove("m-labelled");
      labelGrid(copy);
      box.appendChild(copy);
      box.appendChild(all);
      box.hidden = false;
    }).catch(function () {});
  }

  /* A table of "name | value" rows: the name above its value. */
  function pairs(table) {
    var rows = Array.prototype.slice.call(table.rows);
    if (!rows.length || table.classList.contains("m-cards")) { return; }
    var isPairs = rows.every(function (row) {
      return row.cells.length === 2 && row.cells[0].tagName === "TH" && row.cells[1].tagName === "TD";
    });
    if (isPairs) { table.classList.add("m-pairs"); }
  }

  function ready() {
    document.querySelectorAll("table.eoffice-grid").forEach(labelGrid);
    document.querySelectorAll(".container table:not(.eoffice-grid)").forEach(pairs);
    document.querySelectorAll(
      "table.assignments, table.history, table.audit-trail, table.schedule-table, " +
      "table.assignment-rows, table.officer-rows, table.document-versions"
    ).forEach(cardify);
    // any other table wider than the phone (the grids have their own cards)
    var width = document.documentElement.clientWidth;
    document.querySelectorAll(".container table.table:not(.eoffice-grid):not(.m-cards):not(.m-pairs)").forEach(function (table) {
      if (table.getBoundingClientRect().width > width + 1) { cardify(table); }
    });
    document.querySelectorAll("table.history, table.audit-trail").forEach(fold);
    document.querySelectorAll(".direction-form form").forEach(directionForm);
    confirmActions();
    document.querySelectorAll("input.form-control").forEach(datePicker);
    document.querySelectorAll(".m-inbox[data-src]").forEach(homeInbox);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
