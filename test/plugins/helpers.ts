import { execFileSync } from "child_process";

/** Everything the plugin tests create carries this prefix, so cleanup can find it. */
export const PREFIX = "dormer-test-plugins-";
export const TEST_IMAGE = "dormer-test-plugins-node:1";

export function urn(type: string, name: string): string {
    return `urn:pulumi:test::dormer::${type}::${name}`;
}

export function dockerCli(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

export function inspect(kind: "container" | "network" | "volume" | "image", name: string): any {
    return JSON.parse(dockerCli(kind, "inspect", name))[0];
}

export function exists(kind: "container" | "network" | "volume" | "image", name: string): boolean {
    try {
        execFileSync("docker", [kind, "inspect", name], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/** A small image with node, built FROM the local base (no registry here). */
export function ensureTestImage(): void {
    if (exists("image", TEST_IMAGE)) {
        return;
    }
    execFileSync("docker", ["build", "-t", TEST_IMAGE, "-"], {
        input:
            "FROM dormer-base:bookworm\n" +
            "RUN apt-get update && apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*\n" +
            "ENV IMAGE_DEFAULT=1\n" +
            'CMD ["node","-e","setInterval(()=>{},1e9)"]\n',
        stdio: ["pipe", "ignore", "inherit"],
    });
}

export function cleanup(): void {
    const list = (kind: string, format: string) =>
        dockerCli(kind, "ls", ...(kind === "container" ? ["-a"] : []), "--format", format)
            .split("\n")
            .filter((n) => n.startsWith(PREFIX));
    for (const c of list("container", "{{.Names}}")) {
        dockerCli("rm", "-f", "-v", c);
    }
    for (const n of list("network", "{{.Name}}")) {
        dockerCli("network", "rm", n);
    }
    for (const v of list("volume", "{{.Name}}")) {
        dockerCli("volume", "rm", v);
    }
    for (const i of list("image", "{{.Repository}}:{{.Tag}}").filter((i) => i !== TEST_IMAGE)) {
        dockerCli("rmi", "-f", i);
    }
}

/** The update-or-replace decision of a diff; its detail (diffs, detailedDiff) is asserted where it matters. */
export function decision(d: { changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }): Record<string, unknown> {
  const { changes, replaces, deleteBeforeReplace } = d;
  return deleteBeforeReplace === undefined ? { changes, replaces } : { changes, replaces, deleteBeforeReplace };
}
