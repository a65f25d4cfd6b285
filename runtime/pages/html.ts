const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML; tenant names come from tenants.yaml and must never become markup. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** The one stylesheet of every page, inline; allowed by its hash (runtime/http/page-headers.ts). */
export const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#222}
.spinner{width:2rem;height:2rem;border:3px solid #ddd;border-top-color:#555;border-radius:50%;animation:s 1s linear infinite}
@keyframes s{to{transform:rotate(360deg)}}input,button{font:inherit;padding:.4rem;margin:.2rem 0;width:100%;box-sizing:border-box}
.error{color:#a00}`;

export function page(title: string, body: string, head = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>${head}
<style>${STYLE}</style></head><body>${body}</body></html>`;
}
