// One ext4 image per tenant disk, attached to a loop device and mounted on the host; the kernel's "no space
// left" at the image's end is the fence. Sizes change only while no container has the disk mounted: this
// kernel refuses an online resize2fs, and an offline one cannot race a writer.
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat, statfs, truncate, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { HostCommandError, isMountPoint, run } from "./host";

const MIB = 1024 * 1024;
const CHECK_ATTEMPTS = 15;

export interface DiskUsage {
  /** The size declared for the disk (the image's size), in MiB. */
  quotaMb: number;
  /** What the file system holds for files: the image less ext4's own metadata and journal. */
  capacityBytes: number;
  usedBytes: number;
  /** Whether the numbers are live (mounted) or the last ones seen before it was unmounted. */
  mounted: boolean;
}

export type ResizeOutcome = { resized: true; fromMb: number; toMb: number; ms: number } | { resized: false; reason: string };

export class Disks {
  constructor(private readonly root: string) {}

  image(disk: string): string {
    return path.join(this.root, "images", `${disk}.img`);
  }
  mountPoint(disk: string): string {
    return path.join(this.root, "mnt", disk);
  }
  private usageFile(disk: string): string {
    return path.join(this.root, "images", `${disk}.usage.json`);
  }

  exists(disk: string): boolean {
    return existsSync(this.image(disk));
  }

  async sizeMb(disk: string): Promise<number> {
    return Math.round((await stat(this.image(disk))).size / MIB);
  }

  /** Makes the image: sparse, so a disk costs the host only what its tenant writes. */
  async create(disk: string, sizeMb: number): Promise<void> {
    const img = this.image(disk);
    await mkdir(path.dirname(img), { recursive: true });
    await writeFile(img, "", { flag: "wx" });
    try {
      await truncate(img, sizeMb * MIB);
      // No blocks reserved for root: the tenant's quota is the whole file system.
      await run("mkfs.ext4", ["-q", "-F", "-m", "0", "-L", disk.slice(-16), img]);
    } catch (err) {
      await rm(img, { force: true });
      throw err;
    }
  }

  async isMounted(disk: string): Promise<boolean> {
    return isMountPoint(this.mountPoint(disk));
  }

  /** Attaches the image (once) and mounts it; the mount point holds nothing until the file system is on it. */
  async mount(disk: string): Promise<string> {
    const dir = this.mountPoint(disk);
    if (await this.isMounted(disk)) return dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const device = await this.attach(disk);
    await run("mount", ["-t", "ext4", "-o", "nodev,nosuid", device, dir]);
    return dir;
  }

  /**
   * Unmounts; the usage seen last is kept for while it is unmounted. The loop device stays attached: a
   * detach goes on in the background while anything (udev's probe) has the device open, and a disk attached
   * again meanwhile could meet a half-detached device.
   */
  async unmount(disk: string): Promise<void> {
    if (await this.isMounted(disk)) {
      await this.saveUsage(disk);
      await run("umount", [this.mountPoint(disk)]);
    }
  }

  /**
   * Changes the image's size while it is unmounted (the caller has made sure no container holds it). A grow
   * always fits; a shrink is left to resize2fs, which refuses when the files would not fit, and then the
   * disk keeps its size: the fence never drops data.
   */
  async resize(disk: string, toMb: number): Promise<ResizeOutcome> {
    const started = Date.now();
    const fromMb = await this.sizeMb(disk);
    if (fromMb === toMb) return { resized: false, reason: "already that size" };
    await this.unmount(disk);
    const img = this.image(disk);
    const device = await this.check(disk);
    if (toMb > fromMb) {
      await truncate(img, toMb * MIB);
      await run("losetup", ["-c", device]);
      await run("resize2fs", [device]);
    } else {
      try {
        await run("resize2fs", [device, `${toMb * 1024}K`]);
      } catch (err) {
        return { resized: false, reason: `resize2fs refused to shrink to ${toMb} MiB: ${(err as Error).message}` };
      }
      await truncate(img, toMb * MIB);
      await run("losetup", ["-c", device]);
    }
    return { resized: true, fromMb, toMb, ms: Date.now() - started };
  }

  /**
   * resize2fs wants a freshly checked file system; 1 means e2fsck fixed something, which is fine. e2fsck opens
   * the device exclusively and stops (8) while anything still holds it, as a container that exited a moment
   * ago may for a moment: it is asked again for a while before the resize is given up.
   */
  private async check(disk: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const device = await this.attach(disk);
      try {
        // What the mount wrote is read back through the device: nothing stale may be left in its cache.
        await run("blockdev", ["--flushbufs", device]);
        await run("e2fsck", ["-f", "-y", device], [0, 1]);
        return device;
      } catch (err) {
        if (attempt >= CHECK_ATTEMPTS || !(err instanceof HostCommandError) || err.code !== 8) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async usage(disk: string): Promise<DiskUsage | undefined> {
    if (!this.exists(disk)) return undefined;
    const quotaMb = await this.sizeMb(disk);
    if (await this.isMounted(disk)) return { quotaMb, ...(await this.liveUsage(disk)), mounted: true };
    const saved = await readFile(this.usageFile(disk), "utf8").then((t) => JSON.parse(t) as Pick<DiskUsage, "capacityBytes" | "usedBytes">, () => undefined);
    return { quotaMb, capacityBytes: saved?.capacityBytes ?? quotaMb * MIB, usedBytes: saved?.usedBytes ?? 0, mounted: false };
  }

  /** Deletes the disk and everything on it: only for `docker volume rm` of its last volume. */
  async destroy(disk: string): Promise<void> {
    await this.unmount(disk);
    const device = await this.device(disk);
    if (device) await run("losetup", ["-d", device]);
    await rm(this.mountPoint(disk), { recursive: true, force: true });
    await rm(this.image(disk), { force: true });
    await rm(this.usageFile(disk), { force: true });
  }

  private async liveUsage(disk: string): Promise<Pick<DiskUsage, "capacityBytes" | "usedBytes">> {
    const s = await statfs(this.mountPoint(disk));
    return { capacityBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
  }

  private async saveUsage(disk: string): Promise<void> {
    await writeFile(this.usageFile(disk), JSON.stringify(await this.liveUsage(disk)));
  }

  private async device(disk: string): Promise<string | undefined> {
    // "/dev/loop3: [2049]:1234 (/var/lib/dormer/disks/images/x.img)"
    const out = await run("losetup", ["-j", this.image(disk)]);
    return out.split("\n")[0]?.split(":")[0] || undefined;
  }

  private async attach(disk: string): Promise<string> {
    return (await this.device(disk)) ?? (await run("losetup", ["-f", "--show", this.image(disk)])).trim();
  }
}
