// Keyboard shortcuts for harness pages. No HTML is ever built here (no innerHTML):
// the script only focuses, clicks and moves between elements the server rendered.
//   [data-key="a"]  pressing "a" clicks the element (or focuses it if it is a field)
//   [data-key-focus="r"]  pressing "r" only focuses the element
//   [data-row]      rows that j / k move between; Enter opens the focused row's link
//   ?               shows or hides the shortcut help (footer#keys-help)
//   Escape          leaves a text field; Ctrl+Enter in a field clicks [data-key-submit]
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function isField(el) {
    return el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
      (el.tagName === "INPUT" && el.type !== "submit" && el.type !== "button");
  }

  function moveRow(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row]"));
    if (!rows.length) return;
    var at = rows.indexOf(document.activeElement && document.activeElement.closest("[data-row]"));
    var next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step))];
    var link = next.querySelector("a") || next;
    link.focus();
    next.scrollIntoView({block: "nearest"});
  }

  function trigger(key) {
    var focusOnly = document.querySelector('[data-key-focus="' + key + '"]');
    if (focusOnly && !focusOnly.disabled) { focusOnly.focus(); return true; }
    var el = document.querySelector('[data-key="' + key + '"]');
    if (!el || el.disabled) return false;
    if (isField(el)) { el.focus(); if (el.select) el.select(); } else { el.click(); }
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    var target = ev.target;
    if (typing(target)) {
      if (ev.key === "Escape") { target.blur(); ev.preventDefault(); }
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        var form = target.form;
        var submit = form && form.querySelector("[data-key-submit]");
        if (submit) { submit.click(); ev.preventDefault(); }
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "?") {
      var help = document.getElementById("keys-help");
      if (help) help.hidden = !help.hidden;
      ev.preventDefault();
      return;
    }
    if (ev.key === "j") { moveRow(1); ev.preventDefault(); return; }
    if (ev.key === "k") { moveRow(-1); ev.preventDefault(); return; }
    if (ev.key.length === 1 && trigger(ev.key)) ev.preventDefault();
  });
})();
