/* Exclusive options ("Nej, inte alls"): ticking one unticks the other boxes of its question,
   and ticking another box unticks it. The server refuses the combination either way. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox" || !box.checked || !box.form) {
      return;
    }
    var exclusive = box.hasAttribute("data-exclusive");
    box.form.querySelectorAll('input[type="checkbox"]').forEach(function (other) {
      if (other === box || other.name !== box.name || !other.checked) {
        return;
      }
      if (exclusive || other.hasAttribute("data-exclusive")) {
        other.checked = false;
        // Conditions that depend on the unticked box must see the change too.
        other.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });
}());
