import Docker from "dockerode";

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
    const logs = await container.logs({ stdout: true, stderr: true });
    // Docker multiplexes stdout/stderr with 8-byte frame headers; strip them.
    let out = "";
    for (let i = 0; i + 8 <= logs.length; ) {
      const size = logs.readUInt32BE(i + 4);
      out += logs.subarray(i + 8, i + 8 + size).toString();
      i += 8 + size;
    }
    return out;
  } finally {
    await container.remove({ force: true });
  }
}
