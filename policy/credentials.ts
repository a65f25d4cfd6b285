/** Telling a credential from ordinary configuration, without ever printing the value. */

/** Names people give credentials: *_TOKEN, *_SECRET, *_KEY, *PASSWORD and their usual spellings. */
const CREDENTIAL_NAME = /(^|_)(TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIALS?|API_?KEY|PRIVATE_KEY)$|PASSWORD/i;
/** Prefixes of well-known token formats (GitHub, Slack, Stripe, AWS, OpenAI-style, JWT). */
const TOKEN_PREFIX = /^(gh[pousr]_|github_pat_|xox[abpr]-|sk_live_|sk-|AKIA[0-9A-Z]{12}|eyJ[A-Za-z0-9_-]{10,}\.)/;
const TOKEN_CHARS = /^[A-Za-z0-9+/=_\-.~]+$/;

/** Bits per character; random base64 is close to 6, English words and paths well under 4. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Why an env entry looks like a credential, or undefined when it does not. */
export function credentialReason(name: string, value: string): string | undefined {
  if (CREDENTIAL_NAME.test(name)) return "its name is one credentials are given";
  if (TOKEN_PREFIX.test(value)) return "its value has the form of a known token";
  const randomLooking =
    value.length >= 20 && TOKEN_CHARS.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value) && entropy(value) >= 4;
  return randomLooking ? "its value is long and random-looking (high entropy)" : undefined;
}
