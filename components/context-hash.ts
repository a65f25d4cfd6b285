import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

const SKIP = new Set(["node_modules", ".git", "dist"]);

/**
 * A short hash of a build context's files (names and contents) plus extra inputs such as the base image.
 * Used as the image tag, so a changed context gives a new tag and the containers running it are replaced,
 * the same way with the official docker plugin and with the offline stand-in.
 */
export function contextHash(dir: string, extra: string[] = []): string {
  const hash = crypto.createHash("sha256");
  const walk = (rel: string): void => {
    const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (SKIP.has(entry.name)) continue;
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.isFile()) {
        hash.update(child).update("\0").update(fs.readFileSync(path.join(dir, child))).update("\0");
      }
    }
  };
  walk("");
  for (const value of extra) hash.update(value).update("\0");
  return hash.digest("hex").slice(0, 16);
}
