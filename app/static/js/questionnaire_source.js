/* The questionnaire text on the upload page: its line numbers follow the text as it is edited,
   the lines with errors are marked in the gutter, and "Go to line N" puts the cursor at the
   error's line and column in the text area (without script, the link scrolls to the line). */
(function () {
  "use strict";

  var area = document.getElementById("source");
  var gutter = document.querySelector(".source-editor .gutter");
  if (!area || !gutter) {
    return;
  }
  var errorLines = {};
  Array.prototype.forEach.call(document.querySelectorAll(".goto-line"), function (link) {
    errorLines[link.getAttribute("data-line")] = true;
  });

  function renumber() {
    var count = area.value.split("\n").length;
    var spans = gutter.querySelectorAll("span");
    for (var n = spans.length + 1; n <= count; n++) {
      var span = document.createElement("span");
      span.id = "line-" + n;
      span.textContent = String(n);
      gutter.appendChild(span);
      gutter.appendChild(document.createTextNode("\n"));
    }
    spans = gutter.querySelectorAll("span");
    for (var i = 0; i < spans.length; i++) {
      spans[i].hidden = i >= count;
      spans[i].classList.toggle("has-error", !!errorLines[String(i + 1)]);
    }
    if (area.rows < count + 2) {
      area.rows = count + 2;
    }
  }

  function goTo(line, column) {
    var lines = area.value.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) {
      offset += lines[i].length + 1;
    }
    offset += Math.max(0, Math.min(column - 1, (lines[line - 1] || "").length));
    area.focus();
    area.setSelectionRange(offset, offset);
    var target = document.getElementById("line-" + line);
    if (target) {
      target.scrollIntoView({ block: "center" });
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".goto-line") : null;
    if (!link) {
      return;
    }
    event.preventDefault();
    goTo(parseInt(link.getAttribute("data-line"), 10) || 1, parseInt(link.getAttribute("data-column"), 10) || 1);
  });
  area.addEventListener("input", renumber);
  renumber();
})();
