// Sapan portal: HTMX does the partial updates; this file only moves focus to new results so keyboard
// and screen-reader users hear what changed. No inline scripts anywhere (the CSP forbids them).
"use strict";
document.addEventListener("htmx:afterSwap", (event) => {
  const status = event.detail.target.querySelector("[role=status]");
  if (status) { status.setAttribute("tabindex", "-1"); status.focus({ preventScroll: true }); }
});
