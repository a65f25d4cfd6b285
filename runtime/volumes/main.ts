// The dormer disk driver: a host process (root) that serves Docker's volume plugin protocol, so every
// tenant's volumes live on one size-capped ext4 disk of its own. Started before dockerd (docs/operating.md).
import { chmod, mkdir, rm } from "node:fs/promises";
import * as path from "node:path";
import { log } from "../observe/log";
import { Disks } from "./disks";
import { DiskDriver } from "./driver";
import { DockerView } from "./engine-view";
import { pluginServer } from "./protocol";
import { VolumeRecords } from "./records";
import { driverSettings } from "./settings";

async function main(): Promise<void> {
  const s = driverSettings(process.env);
  const driver = new DiskDriver(new Disks(s.root), new VolumeRecords(path.join(s.root, "volumes")), new DockerView(s.dockerSocket));
  const socket = path.join(s.pluginDir, `${s.name}.sock`);
  await mkdir(s.pluginDir, { recursive: true });
  await rm(socket, { force: true });
  const server = pluginServer(driver);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socket, resolve));
  // Only root (the daemon) may ask for mounts.
  await chmod(socket, 0o600);
  log.info("disk driver listening", { name: s.name, socket, root: s.root });
  const stop = () => {
    server.close();
    void rm(socket, { force: true }).finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  log.error("disk driver failed to start", { error: String((err as Error)?.stack ?? err) });
  process.exit(1);
});
