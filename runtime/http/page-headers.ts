import { createHash } from "crypto";
import type { Response } from "express";
import { STYLE } from "../pages/html";
import { WAITING_SCRIPT } from "../pages/waiting";
import { Origins } from "./origins";

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/**
 * Headers on every page the supervisor writes itself (sign-in, waiting, signed-in/out, errors), never on a
 * tenant's proxied answers: tenants own their headers. The pages need their one inline stylesheet, the
 * waiting page's one script (allowed by hash, so an injected script runs nowhere), fetches to their own
 * origin (the waiting page's polling), and the sign-in form's post, which is answered with a redirect to
 * the tenant's origin.
 */
export function pageHeaders(origins: Origins, formTarget?: string): Record<string, string> {
  const csp = [
    "default-src 'none'",
    `style-src ${hash(STYLE)}`,
    `script-src ${hash(WAITING_SCRIPT)}`,
    "connect-src 'self'",
    `form-action 'self' ${origins.tenantOrigin("*")}${formTarget ? ` ${formTarget}` : ""}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    // For browsers older than frame-ancestors.
    "X-Frame-Options": "DENY",
  };
}

/**
 * Sends one of the supervisor's own HTML pages with pageHeaders(). `formTarget`: one more origin the page's
 * form may end on, for a sign-in that returns to a tenant's own host name (form-action covers redirects).
 */
export type SendPage = (res: Response, status: number, html: string, formTarget?: string) => void;

export function pageSender(origins: Origins): SendPage {
  const headers = pageHeaders(origins);
  return (res, status, html, formTarget) => {
    res.status(status).set(formTarget ? pageHeaders(origins, formTarget) : headers).type("html").send(html);
  };
}
