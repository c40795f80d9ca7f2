/* The arrival stamp's place (incoming/stamp.html): drag the "ĐẾN" box on the first page, move
   it with the arrow keys (Shift: 5 mm) or click where it should go; the two fields hold its
   top-left corner in mm from the top-left corner of the page, and typing in them moves it. */
(function () {
  "use strict";
  var sheet = document.getElementById("stamp-sheet");
  var box = document.getElementById("stamp-box");
  var left = document.getElementById("left_mm");
  var top = document.getElementById("top_mm");
  if (!sheet || !box || !left || !top) { return; }
  var pageWidth = parseFloat(sheet.getAttribute("data-page-width"));
  var pageHeight = parseFloat(sheet.getAttribute("data-page-height"));
  var stampWidth = parseFloat(sheet.getAttribute("data-stamp-width"));
  var stampHeight = parseFloat(sheet.getAttribute("data-stamp-height"));
  var maxLeft = Math.max(0, pageWidth - stampWidth);
  var maxTop = Math.max(0, pageHeight - stampHeight);
  var drag = null;

  function parse(value) { return parseFloat(String(value).replace(",", ".")); }
  function clamp(value, max) { return Math.min(Math.max(value, 0), max); }
  function text(value) { return String(Math.round(value * 2) / 2).replace(".", ","); }
  function mmPerPixel() { return pageWidth / sheet.getBoundingClientRect().width; }

  function show(x, y) {
    box.style.left = (x / pageWidth * 100) + "%";
    box.style.top = (y / pageHeight * 100) + "%";
  }
  function place(x, y) {
    x = clamp(x, maxLeft);
    y = clamp(y, maxTop);
    left.value = text(x);
    top.value = text(y);
    show(parse(left.value), parse(top.value));
  }
  function current() { return [parse(left.value) || 0, parse(top.value) || 0]; }

  box.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    var at = current();
    drag = { x: event.clientX, y: event.clientY, left: at[0], top: at[1], scale: mmPerPixel() };
    box.setPointerCapture(event.pointerId);
    box.focus();
  });
  box.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    place(drag.left + (event.clientX - drag.x) * drag.scale,
          drag.top + (event.clientY - drag.y) * drag.scale);
  });
  function stop() { drag = null; }
  box.addEventListener("pointerup", stop);
  box.addEventListener("pointercancel", stop);

  box.addEventListener("keydown", function (event) {
    var step = event.shiftKey ? 5 : 1;
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step],
                  ArrowDown: [0, step] };
    var move = moves[event.key];
    if (!move) { return; }
    event.preventDefault();
    var at = current();
    place(at[0] + move[0], at[1] + move[1]);
  });

  sheet.addEventListener("click", function (event) {  // the box's middle where one clicks
    if (event.target === box) { return; }
    var rect = sheet.getBoundingClientRect();
    var scale = mmPerPixel();
    place((event.clientX - rect.left) * scale - stampWidth / 2,
          (event.clientY - rect.top) * scale - stampHeight / 2);
  });

  [left, top].forEach(function (input) {
    input.addEventListener("input", function () {
      var x = parse(left.value), y = parse(top.value);
      if (!isNaN(x) && !isNaN(y)) { show(clamp(x, maxLeft), clamp(y, maxTop)); }
    });
  });
})();
