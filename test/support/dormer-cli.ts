import { spawn } from "child_process";
import * as path from "path";

const bin = path.resolve(__dirname, "../../cli/bin/dormer");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real dormer CLI, as a user would; output is kept for assertions and shown on failure. `stdin` is
 * what the user pipes in (none by default: the CLI reads end of input at once).
 */
export function dormer(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A CLI that exits before reading its input (a refusal) is judged by its exit code, not by the pipe.
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin ?? "");
  });
}

/** Like dormer(), but a non-zero exit is a failure that shows what the CLI printed. */
export async function dormerOk(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await dormer(args, env);
  if (result.code !== 0) {
    throw new Error(`dormer ${args.join(" ")} exited ${result.code}\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
  }
  return result;
}
