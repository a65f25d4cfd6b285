import { escapeHtml, page } from "./html";

/** The waiting page's one script; it never varies, so the page's CSP allows it by its hash. */
export const WAITING_SCRIPT = `
(function poll() {
  fetch("/_dormer/status", { credentials: "same-origin", cache: "no-store" })
    .then(function (r) { return r.json(); })
    .then(function (s) {
      if (s.tenantState === "awake") { location.reload(); return; }
      if (s.wakeError) { document.getElementById("msg").textContent = s.wakeError; }
      setTimeout(poll, 300);
    })
    .catch(function () { setTimeout(poll, 1000); });
})();
`;

/**
 * Shown to a browser whose tenant is asleep while it wakes: polls the session status and reloads the
 * original URL once the tenant answers; without JavaScript the meta refresh does the same, more slowly.
 */
export function waitingPage(displayName: string): string {
  return page(
    `Waking ${displayName}…`,
    `<div class="spinner" role="progressbar" aria-label="waking"></div>
<h1>Waking ${escapeHtml(displayName)}…</h1>
<p id="msg">Your workspace was asleep. It will open by itself in a moment.</p><script>${WAITING_SCRIPT}</script>`,
    '<meta http-equiv="refresh" content="5">',
  );
}
