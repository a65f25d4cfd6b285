import { escapeHtml, page } from "./html";

/** The sign-in form of local stacks: a tenant id and its access key (from `dormer outputs --show-secrets`). */
export function loginPage(error?: string): string {
  return page(
    "Sign in to dormer",
    `<h1>Sign in</h1>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/auth/login">
<label>Tenant <input name="tenant" autocomplete="username" required></label>
<label>Access key <input name="key" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`,
  );
}
