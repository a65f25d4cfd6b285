import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

interface IgnoreRule {
    negate: boolean;
    pattern: RegExp;
}

/** A .dockerignore pattern as a regex over slash-separated paths relative to the context. */
function globToRegExp(glob: string): RegExp {
    let re = "";
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === "*" && glob[i + 1] === "*") {
            re += ".*";
            i++;
            if (glob[i + 1] === "/") {
                i++;
                re += "/?";
            }
        } else if (c === "*") {
            re += "[^/]*";
        } else if (c === "?") {
            re += "[^/]";
        } else {
            re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        }
    }
    return new RegExp(`^${re}$`);
}

function ignoreRules(context: string): IgnoreRule[] {
    const file = path.join(context, ".dockerignore");
    if (!fs.existsSync(file)) {
        return [];
    }
    return fs
        .readFileSync(file, "utf8")
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => {
            const negate = line.startsWith("!");
            const cleaned = path.posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+/, "").replace(/\/+$/, "");
            return { negate, pattern: globToRegExp(cleaned) };
        });
}

/** Docker's rule: a pattern excludes a path when it matches the path or one of its parent directories; the last match wins. */
function isIgnored(rel: string, rules: IgnoreRule[]): boolean {
    const parts = rel.split("/");
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    let ignored = false;
    for (const rule of rules) {
        if (prefixes.some((p) => rule.pattern.test(p))) {
            ignored = !rule.negate;
        }
    }
    return ignored;
}

/** Files (and symlinks) of the build context that `docker build` would send, relative and sorted. */
export function contextFiles(context: string, dockerfileRel: string): string[] {
    const rules = ignoreRules(context);
    const out: string[] = [];
    const walk = (dirRel: string) => {
        for (const entry of fs.readdirSync(path.join(context, dirRel), { withFileTypes: true })) {
            const rel = dirRel === "" ? entry.name : `${dirRel}/${entry.name}`;
            // The Dockerfile and .dockerignore always reach the daemon, as the docker CLI sends them even when ignored.
            const always = rel === dockerfileRel || rel === ".dockerignore";
            if (!always && isIgnored(rel, rules)) {
                if (entry.isDirectory() && rules.some((r) => r.negate)) {
                    walk(rel);
                }
                continue;
            }
            if (entry.isDirectory()) {
                walk(rel);
            } else {
                out.push(rel);
            }
        }
    };
    walk("");
    return out.sort();
}

/**
 * Digest of everything that determines the build: the files sent (names, modes, contents) and the
 * build options. Stored in the inputs (as upstream's Check does with build.contextDigest) so that an
 * unchanged context is no change and an edited file is a rebuild.
 */
export function contextDigest(context: string, files: string[], options: unknown): string {
    const hash = createHash("sha256");
    for (const rel of files) {
        const full = path.join(context, rel);
        const stat = fs.lstatSync(full);
        hash.update(`${rel}\0${stat.mode}\0`);
        hash.update(stat.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full));
        hash.update("\0");
    }
    hash.update(JSON.stringify(options));
    return hash.digest("hex");
}
