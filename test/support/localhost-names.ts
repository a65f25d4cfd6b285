import dns from "dns";

/**
 * Makes this process resolve `<anything>.localhost` to 127.0.0.1, as browsers do (RFC 6761; Chromium never
 * asks DNS for them), so tests reach tenant origins (`acme.localhost:<port>`) by name with Node's own fetch
 * and http. glibc would answer ENOTFOUND. Names outside .localhost resolve as before.
 */
type Callback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
const original = dns.lookup;
function lookup(hostname: string, options: unknown, callback?: Callback): void {
  const cb = (typeof options === "function" ? options : callback) as Callback;
  const opts = (typeof options === "object" && options !== null ? options : {}) as dns.LookupOptions;
  if (!/\.localhost\.?$/i.test(hostname)) {
    (original as (h: string, o: unknown, c: Callback) => void)(hostname, typeof options === "function" ? {} : options, cb);
    return;
  }
  if (opts.all) process.nextTick(cb, null, [{ address: "127.0.0.1", family: 4 }]);
  else process.nextTick(cb, null, "127.0.0.1", 4);
}
(dns as { lookup: unknown }).lookup = lookup;
