import { spawnSync } from "child_process";
import * as path from "path";
import { scriptsDir } from "./paths";

/** Runs one of the project's setup scripts; its progress lines go to stderr, its answer comes from stdout. */
function runScript(script: string, args: string[] = []): string {
  const result = spawnSync("bash", [path.join(scriptsDir, script), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`${script} failed (exit ${result.status ?? result.signal})`);
  }
  return result.stdout.trim();
}

/** Directory holding a `pulumi` binary at least as new as the pinned version (built once when missing). */
export function pulumiBinDir(): string {
  return path.dirname(runScript("toolchain/pulumi.sh"));
}

/** Installs the offline stand-ins for plugins whose official build is absent; prints one line per stand-in. */
export function ensurePlugins(pulumiDir: string): void {
  runScript("offline/install-plugins.sh", [path.join(pulumiDir, "pulumi")]);
}

/** The base image to build FROM: the stack's own choice, or the offline-built one when it cannot be had. */
export function ensureBaseImage(wanted: string): string {
  return runScript("base-image.sh", [wanted]);
}
