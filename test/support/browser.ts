import { Browser, chromium } from "playwright-core";

/**
 * Debian's chromium, headless, with everything that would reach outside this machine switched off
 * (background networking, component updates, sync, QUIC): tests send traffic only to loopback.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
