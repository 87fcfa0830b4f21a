/* Accessibility fixes for markup that sphinx-book-theme, pydata-sphinx-theme and docutils generate on
 * every page (not for the book's own content). Each fix answers an axe-core rule that
 * tests/test_browser.py enforces:
 *  - label-content-name-mismatch: the search field's aria-label "Search" leaves out its visible
 *    "Ctrl+K" hint, so its name is taken from what it shows; the colour-mode button's icons carry
 *    titles ("Light", "Dark", ...) that are not in its name "Color mode", so they are hidden from
 *    assistive technology (the button keeps its name).
 *  - aria-required-children / aria-deprecated-role: a bibliography's role="list" holds entries with
 *    the deprecated role doc-biblioentry instead of list items.
 * And one console error: pydata-sphinx-theme leaves the colour mode empty on a reader's first visit
 * (no `default_mode` in html_context) and then logs "Got invalid theme mode" -- "auto" is its own default.
 * Jupyter Book loads every .js file in book/_static on every page.
 */
(function () {
  "use strict";

  // Runs in <head>, after the theme's inline script sets the mode and before the theme's deferred script reads it.
  if (!document.documentElement.dataset.mode) document.documentElement.dataset.mode = "auto";

  function hideIcon(icon) {
    icon.setAttribute("aria-hidden", "true");
    icon.removeAttribute("title");
    icon.removeAttribute("role");
    icon.removeAttribute("aria-labelledby");
    icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
  }

  function fix(root) {
    root.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
      button.removeAttribute("aria-label");
    });
    root.querySelectorAll(".theme-switch-button .theme-switch").forEach(function (icon) {
      if (icon.getAttribute("aria-hidden") !== "true" || icon.querySelector("title")) hideIcon(icon);
    });
    root.querySelectorAll('.citation-list > .citation[role="doc-biblioentry"]').forEach(function (entry) {
      entry.setAttribute("role", "listitem");
    });
  }

  function start() {
    fix(document);
    // Font Awesome swaps <i> icons for <svg> ones after the page loads: fix those as they arrive.
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; fix(document); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
