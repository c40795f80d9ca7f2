/* The "In" button of printable pages (no inline handlers: the CSP forbids them). */
document.addEventListener("click", function (event) {
  if (event.target.closest(".print-button")) { window.print(); }
});
