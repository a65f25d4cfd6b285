import { escapeHtml, page } from "./html";

/**
 * Answer to a good sign-in code on the tenant's origin. The session cookie is SameSite=Strict, and a
 * navigation that began on the platform's origin (another site) would not carry it even after a redirect;
 * this page's own navigation starts on the tenant's origin, so the next request does.
 */
export function signedInPage(displayName: string, next: string): string {
  return page(
    `Opening ${displayName}…`,
    `<h1>Opening ${escapeHtml(displayName)}…</h1>
<p><a href="${escapeHtml(next)}">Continue</a></p>`,
    `<meta http-equiv="refresh" content="0;url=${escapeHtml(next)}">`,
  );
}

/** A sign-in code that was used, expired, made up, or is for another tenant. */
export function signInFailedPage(loginUrl: string): string {
  return page(
    "Sign-in link not valid",
    `<h1>This sign-in link is no longer valid</h1>
<p>Links are good once, for 30 seconds. <a href="${escapeHtml(loginUrl)}">Sign in again</a>.</p>`,
  );
}

/** After sign-out on a tenant's origin. */
export function signedOutPage(loginUrl: string): string {
  return page("Signed out", `<h1>Signed out</h1>
<p><a href="${escapeHtml(loginUrl)}">Sign in again</a></p>`);
}
