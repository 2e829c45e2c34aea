/* Focus for keyboard and screen-reader users on every page:
   - After a failed submit the server renders an error summary (#error-summary, tabindex="-1");
     focus moves to it on load so it is read out and its links to the fields are one Tab away.
     It does not move focus when the page was opened at a fragment (#field), when something
     already has focus, or when there is no summary.
   - The sticky save bar (.answer-actions) must not cover the focused field: the stylesheet pads
     the page's bottom scroll edge by --sticky-bar-height, kept here equal to the bar's height
     (the bar grows when its status text wraps), and a focused field is scrolled fully into view. */
(function () {
  "use strict";

  var root = document.documentElement;

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (!summary || window.location.hash) {
      return;
    }
    var active = document.activeElement;
    if (active && active !== document.body && active !== root) {
      return;
    }
    if (!summary.hasAttribute("tabindex")) {
      summary.setAttribute("tabindex", "-1");
    }
    summary.focus();
  }

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
    // The browser scrolls a focused element only until part of it shows above the bar; bring
    // all of it into view (the padding above keeps it clear of a sticky bar).
    document.addEventListener("focusin", function (event) {
      var target = event.target;
      if (!(target instanceof Element) || bar.contains(target)) {
        return;
      }
      var box = target.getBoundingClientRect();
      var limit = window.innerHeight - parseFloat(root.style.getPropertyValue("--sticky-bar-height") || "0");
      if (box.bottom > limit || box.top < 0) {
        target.scrollIntoView({ block: "nearest" });
      }
    });
    if (window.ResizeObserver) {
      new window.ResizeObserver(update).observe(bar);
    }
    window.addEventListener("resize", update);
  }

  trackStickyBar();
  focusErrorSummary();
}());
