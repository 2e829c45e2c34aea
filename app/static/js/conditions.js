/* Conditional questions and sections: shown or hidden as the answers they depend on change.
   A hidden question's inputs are disabled so that its answers are not sent. Without this
   script everything is shown, and the server discards answers to hidden questions.
   The rule is the server's (Condition.matches in app/definitions/schema.py): a condition holds
   when the answer to its question has one of the values of data-show-if-in or, with
   data-show-if-not-in, when the question is answered with none of those values; an answer to a
   hidden question counts as none.
   A condition on a question answered on an earlier page carries the server's decision
   (data-show-if-earlier), since that question has no inputs on this page. */
(function () {
  "use strict";

  function chosenValues(form, question, row) {
    var name = "q-" + question;
    var selector = row
      ? 'input[name="' + name + "-" + row + '"]'
      : 'input[name="' + name + '"], input[name^="' + name + '-"]';
    var values = [];
    form.querySelectorAll(selector).forEach(function (input) {
      var choice = input.type === "radio" || input.type === "checkbox";
      if (choice && input.checked && !input.disabled) {
        values.push(input.value);
      }
    });
    return values;
  }

  function setShown(element, shown) {
    element.hidden = !shown;
    element.querySelectorAll("input, select, textarea").forEach(function (control) {
      control.disabled = !shown;
    });
  }

  function insideHidden(element) {
    return element.parentElement !== null && element.parentElement.closest("[hidden]") !== null;
  }

  function conditionHolds(form, element) {
    // A condition on a question of an earlier page: that question has no inputs here, and the
    // server decided from the saved answers whether the condition holds. Keep its decision.
    var earlier = element.getAttribute("data-show-if-earlier");
    if (earlier !== null) {
      return earlier === "holds";
    }
    var chosen = chosenValues(
      form,
      element.getAttribute("data-show-if-question"),
      element.getAttribute("data-show-if-row")
    );
    var unwanted = element.getAttribute("data-show-if-not-in");
    if (unwanted !== null) {
      var hiding = JSON.parse(unwanted);
      return chosen.length > 0 && !chosen.some(function (value) { return hiding.indexOf(value) !== -1; });
    }
    var wanted = JSON.parse(element.getAttribute("data-show-if-in") || "[]");
    return chosen.some(function (value) { return wanted.indexOf(value) !== -1; });
  }

  // Elements are visited in document order, so a section is settled before its questions and
  // a question before those that depend on it: hiding carries down a chain in one pass.
  function apply(form) {
    form.querySelectorAll("[data-show-if-question]").forEach(function (element) {
      setShown(element, !insideHidden(element) && conditionHolds(form, element));
    });
    form.querySelectorAll("[data-other-for]").forEach(function (element) {
      var option = document.getElementById(element.getAttribute("data-other-for"));
      var invalid = element.querySelector('[aria-invalid="true"]') !== null;
      var chosen = option !== null && option.checked && !option.disabled;
      setShown(element, !insideHidden(element) && (chosen || invalid));
    });
  }

  function init() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-if-question], [data-other-for]") === null) {
        return;
      }
      apply(form);
      form.addEventListener("change", function () { apply(form); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
