import Docker from "dockerode";
import { demux } from "../../runtime/engine/docker-logs";

/** Runs a command inside a running container, as its own user, and returns what it printed and its exit code. */
export async function execIn(docker: Docker, container: string, cmd: string[]): Promise<{ output: string; exitCode: number }> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve, reject) => {
    stream.on("end", () => resolve());
    stream.on("error", reject);
  });
  const info = await exec.inspect();
  return { output: demux(Buffer.concat(chunks)), exitCode: info.ExitCode ?? -1 };
}
