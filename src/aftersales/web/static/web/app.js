// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The language menus change on selection (their "Change" button is for no-JS use).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
    }
  });

  // After htmx replaces the main region, move focus there so keyboard and screen-reader
  // users land on the fresh content (and its message) instead of a removed button.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "main") {
      var alert = target.querySelector("[role=alert], [role=status]");
      (alert || target).setAttribute("tabindex", "-1");
      (alert || target).focus({ preventScroll: false });
    }
  });

  // Escape closes the open user menu.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var menu = document.querySelector("details.user-menu[open]");
      if (menu) {
        menu.removeAttribute("open");
        menu.querySelector("summary").focus();
      }
    }
  });
})();
