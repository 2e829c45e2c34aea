/* Focus for keyboard and screen-reader users on every page:
   - A refused submit comes back with its errors: focus moves to them on load, so they are read
     out and the way to the fields is one Tab away. The target is the error summary
     (#error-summary, whose links lead to the fields); without one, the page's error message
     (.flash-error with role="alert", e.g. a wrong password or access code); without that, the
     first field marked aria-invalid. Focus stays where it is when the page was opened at a
     fragment (#field), when something already has focus, or when the page shows no error.
   - The sticky save bar (.answer-actions) must not cover the focused field: the stylesheet pads
     the page's bottom scroll edge by --sticky-bar-height, kept here equal to the bar's height
     (the bar grows when its status text wraps).
   - On every page a focused field is scrolled fully into view, not just its top edge. */
(function () {
  "use strict";

  var root = document.documentElement;

  function focusErrors() {
    var main = document.getElementById("main") || document.body;
    var target = document.getElementById("error-summary") ||
      main.querySelector('.flash-error[role="alert"]') ||
      main.querySelector('[aria-invalid="true"]');
    if (!target || window.location.hash) {
      return;
    }
    var active = document.activeElement;
    if (active && active !== document.body && active !== root) {
      return;
    }
    if (!target.hasAttribute("tabindex") && !target.matches("input, select, textarea, button, a[href]")) {
      // Focusable by script only: not an extra Tab stop.
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  // A form without an action posts to the page's own address, fragment included (#password
  // after following a summary link), and the reply would open at that field instead of at its
  // errors: post such forms to the address without the fragment.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && !form.hasAttribute("action") && window.location.hash) {
      form.setAttribute("action", window.location.href.split("#")[0]);
    }
  });

  function trackStickyBar() {
    var bar = document.querySelector(".answer-actions");
    if (!bar) {
      return;
    }
    function update() {
      var sticky = window.getComputedStyle(bar).position === "sticky";
      root.style.setProperty("--sticky-bar-height", sticky ? bar.offsetHeight + "px" : "0px");
    }
    update();
    if (window.ResizeObserver) {
      new window.ResizeObserver(update).observe(bar);
    }
    window.addEventListener("resize", update);
  }

  // The browser scrolls a focused element only until some 32 pixels of it show (above the bar,
  // given the padding): bring all of it into view, clear of the bar. Elements taller than the
  // room left are not moved.
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || target.closest(".answer-actions")) {
      return;
    }
    var box = target.getBoundingClientRect();
    var bar = parseFloat(root.style.getPropertyValue("--sticky-bar-height") || "0");
    var limit = window.innerHeight - bar;
    if ((box.bottom > limit || box.top < 0) && box.height < limit) {
      target.scrollIntoView({ block: "nearest" });
    }
  });

  trackStickyBar();
  focusErrors();
}());
