// The backup part of `npm run bench` (BENCH_ONLY=backup): `dormer backup` and `dormer restore` of one tenant
// whose volumes hold BENCH_BACKUP_MB (default 1024) MB of random data, on the bench stack; everything it
// writes (volumes, archive) is removed afterwards.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, inVolume } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";

const STACK = "bench";
const TENANT = "bulk";
const PREFIX = `dormer-${STACK}-tenant-${TENANT}`;
const MB = Number(process.env.BENCH_BACKUP_MB ?? 1024);
const TENANTS = `version: 1
plans:
  bench:
    cpus: 1
    memoryMb: 256
    idleTimeoutMinutes: 1440
    egress: false
    dailyRequestQuota: unlimited
tenants:
  - id: ${TENANT}
    plan: bench
`;

const rate = (ms: number) => `${(MB / (ms / 1000)).toFixed(0)} MB/s`;

export async function backupBench(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-bench-backup-"));
  const env = { DORMER_TENANTS_FILE: path.join(dir, "tenants.yaml") };
  fs.writeFileSync(env.DORMER_TENANTS_FILE, TENANTS);
  let archive: string | undefined;
  try {
    console.error("bench: dormer up --stack bench (one tenant)");
    await dormerOk(["up", "--stack", STACK], env);
    // Random, so neither the page cache's zero pages nor a file system's compression flatter the numbers;
    // a thousand 1 MB files and one large file, as a tenant's uploads would be.
    console.error(`bench: writing ${MB} MB into ${PREFIX}-files`);
    const big = Math.floor(MB / 2);
    await inVolume("dormer-base:bookworm", `${PREFIX}-files`,
      `head -c ${big}M /dev/urandom > /v/big.bin && mkdir /v/many && for i in $(seq 1 ${MB - big}); do head -c 1M /dev/urandom > /v/many/$i.bin; done; sync`);
    const t0 = Date.now();
    const backup = await dormerOk(["backup", TENANT, "--stack", STACK], env);
    const backupMs = Date.now() - t0;
    archive = path.resolve(process.cwd(), /backed up tenant \S+: (\S+\.tar)/.exec(backup.stdout)![1]);
    const t1 = Date.now();
    await dormerOk(["restore", TENANT, archive, "--stack", STACK], env);
    const restoreMs = Date.now() - t1;
    console.error(backup.stdout.trim());
    return [
      `| ${MB} MB tenant (${MB - big + 1} files) | time | throughput |`,
      "|---|---|---|",
      `| \`dormer backup\` (hold, stop, copy, hash, release; CLI start included) | ${(backupMs / 1000).toFixed(1)} s | ${rate(backupMs)} |`,
      `| \`dormer restore\` (verify the archive, unpack, swap, read back and check; CLI start included) | ${(restoreMs / 1000).toFixed(1)} s | ${rate(restoreMs)} |`,
      `| archive size | ${(fs.statSync(archive).size / 1e6).toFixed(0)} MB | |`,
    ];
  } finally {
    if (archive) fs.rmSync(archive, { force: true });
    await dormer(["down", "--stack", STACK], env);
    for (const kind of ["files", "data"]) await docker.getVolume(`${PREFIX}-${kind}`).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
