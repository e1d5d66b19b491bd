/* The request page's composer (issue 12). No inline script (CSP): this file only
   - inserts a canned response, already filled in by the server, into the text box;
   - marks the form with the action picked, so an internal note looks like one. */
(function () {
  "use strict";

  function insert(box, text) {
    var start = box.value.length, end = start;  // never typed in: add at the end
    if (box.hasAttribute("data-touched")) {
      start = box.selectionStart;  // a textarea keeps its caret when the button takes focus
      end = box.selectionEnd;
    }
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var glue = before && !/\n$/.test(before) ? "\n" : "";
    box.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-canned]");
    if (!button) return;
    var box = document.getElementById(button.getAttribute("data-canned"));
    if (box) insert(box, button.getAttribute("data-text") || "");
  });

  function mark(select) {
    var form = select.closest("form[data-composer]");
    if (form) form.setAttribute("data-action", select.value);
  }

  document.addEventListener("focusin", function (event) {
    if (event.target.id === "composer-text") event.target.setAttribute("data-touched", "");
  });

  document.addEventListener("change", function (event) {
    if (event.target.id === "composer-action") mark(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("composer-action");
    if (select) mark(select);
  });
})();
