import { escapeHtml, page } from "./html";

export interface LoginForm {
  /** Prefilled when a tenant's origin sent the browser here. */
  tenant?: string;
  /** Where on the tenant's origin to land afterwards. */
  next?: string;
  /** The tenant's own host name the sign-in started on, to come back to; absent: `<id>.<base>`. */
  host?: string;
  error?: string;
}

/**
 * The sign-in form of local stacks: a tenant id and its access key (from `dormer outputs --show-secrets`).
 * It lives only on the platform's origin, so no tenant's code ever runs where the key is typed.
 */
export function loginPage(form: LoginForm = {}): string {
  const tenant = form.tenant ? ` value="${escapeHtml(form.tenant)}"` : "";
  return page(
    "Sign in to dormer",
    `<h1>Sign in</h1>
${form.error ? `<p class="error">${escapeHtml(form.error)}</p>` : ""}
<form method="post" action="/auth/login">
<label>Tenant <input name="tenant" autocomplete="username" required${tenant}></label>
<label>Access key <input name="key" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="${escapeHtml(form.next ?? "/")}">
${form.host ? `<input type="hidden" name="host" value="${escapeHtml(form.host)}">
` : ""}
<button type="submit">Sign in</button>
</form>`,
  );
}
