import Docker from "dockerode";
import { demux } from "../../runtime/engine/docker-logs";

export const docker = new Docker();

export async function inspectContainer(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

export async function volumeExists(name: string): Promise<boolean> {
  try {
    await docker.getVolume(name).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Runs a throwaway container with one volume mounted at /v and returns what the command printed. */
export async function inVolume(image: string, volume: string, script: string): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["sh", "-c", script],
    HostConfig: { Binds: [`${volume}:/v`], NetworkMode: "none" },
  });
  try {
    await container.start();
    await container.wait();
    return demux(await container.logs({ stdout: true, stderr: true }));
  } finally {
    await container.remove({ force: true });
  }
}

/** Counts starts of one container from the engine's own event stream, until stop() is called. */
export async function countStarts(container: string): Promise<{ count: () => number; stop: () => void }> {
  let count = 0;
  const stream = (await docker.getEvents({ filters: { type: ["container"], event: ["start"], container: [container] } })) as NodeJS.ReadableStream;
  stream.on("data", (chunk: Buffer) => {
    count += chunk.toString().split("\n").filter((l) => l.includes('"start"')).length;
  });
  return { count: () => count, stop: () => (stream as unknown as { destroy(): void }).destroy() };
}
