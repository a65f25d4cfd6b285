// The floor a wake is measured against: the same container started by hand, without dormer.
import { docker, inspectContainer } from "../support/docker";
import { timedGet } from "./http-timing";

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

/** The container's address on its (first) network. */
export async function ipOf(container: string): Promise<string> {
  const info = await inspectContainer(container);
  return Object.values(info?.NetworkSettings.Networks ?? {})[0]?.IPAddress ?? "";
}

/** A bare `docker start` of the container, then its first byte, probed as fast as is reasonable. */
export async function bareStart(container: string): Promise<number> {
  const started = process.hrtime.bigint();
  await docker.getContainer(container).start();
  const ip = await ipOf(container);
  for (;;) {
    const ok = await timedGet(`http://${ip}:8080/health`).then((t) => t.status === 200, () => false);
    if (ok) return Number(process.hrtime.bigint() - started) / 1e6;
    await sleep(5);
  }
}
