import { LABEL } from "./labels";
import { DeclaredTenant } from "./engine";

const int = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

const list = (value: string | undefined): string[] => (value ? value.split(",").filter(Boolean) : []);

/** `a=1,b=2` -> {a: "1", b: "2"}; entries without "=" are dropped. */
const pairs = (value: string | undefined): Record<string, string> =>
  Object.fromEntries(list(value).flatMap((entry) => {
    const eq = entry.indexOf("=");
    return eq > 0 ? [[entry.slice(0, eq), entry.slice(eq + 1)]] : [];
  }));

/**
 * Reads one tenant from the labels the program wrote. Returns undefined for a container that does not carry
 * the labels of a tenant (not ours, or half-written), so it is never woken or proxied to.
 */
export function tenantFromLabels(name: string, labels: Record<string, string>): DeclaredTenant | undefined {
  const id = labels[LABEL.tenant];
  const network = labels[LABEL.network];
  const keyHash = labels[LABEL.accessKeySha256];
  if (labels[LABEL.role] !== "tenant" || !id || !network || !keyHash) return undefined;
  const quota = labels[LABEL.dailyRequestQuota];
  return {
    id,
    displayName: labels[LABEL.displayName] ?? id,
    plan: labels[LABEL.plan] ?? "",
    container: name.replace(/^\//, ""),
    network,
    port: int(labels[LABEL.port], 8080),
    idleTimeoutSeconds: int(labels[LABEL.idleTimeoutSeconds], 900),
    dailyRequestQuota: quota === "unlimited" ? "unlimited" : int(quota, 1),
    maxHeldRequests: int(labels[LABEL.maxHeldRequests], 100),
    wakeTimeoutSeconds: int(labels[LABEL.wakeTimeoutSeconds], 30),
    maxConnections: int(labels[LABEL.maxConnections], 100),
    requestTimeoutSeconds: int(labels[LABEL.requestTimeoutSeconds], 60),
    egress: labels[LABEL.egress] === "true",
    ...(labels[LABEL.lightSleepSeconds] ? { lightSleepSeconds: int(labels[LABEL.lightSleepSeconds], 60) } : {}),
    ...(labels[LABEL.memoryMb] ? { memoryMb: int(labels[LABEL.memoryMb], 256) } : {}),
    ...(labels[LABEL.pidsLimit] ? { pidsLimit: int(labels[LABEL.pidsLimit], 256) } : {}),
    ...(labels[LABEL.diskMb] && labels[LABEL.diskVolume] ? { disk: { sizeMb: int(labels[LABEL.diskMb], 1), volume: labels[LABEL.diskVolume] } } : {}),
    members: list(labels[LABEL.members]),
    accessKeySha256: keyHash,
    ports: list(labels[LABEL.ports]).map(Number),
    hostnames: list(labels[LABEL.hostnames]),
    accessAudiences: pairs(labels[LABEL.accessAudiences]),
  };
}

/**
 * The labels that declare a tenant: what the program writes and tenantFromLabels reads back. One encoder
 * beside its decoder, so the two cannot drift apart.
 */
export function tenantLabels(stack: string, t: DeclaredTenant): Record<string, string> {
  return {
    [LABEL.stack]: stack,
    [LABEL.role]: "tenant",
    [LABEL.tenant]: t.id,
    [LABEL.displayName]: t.displayName,
    [LABEL.plan]: t.plan,
    [LABEL.port]: String(t.port),
    [LABEL.network]: t.network,
    [LABEL.idleTimeoutSeconds]: String(t.idleTimeoutSeconds),
    [LABEL.dailyRequestQuota]: String(t.dailyRequestQuota),
    [LABEL.maxHeldRequests]: String(t.maxHeldRequests),
    [LABEL.wakeTimeoutSeconds]: String(t.wakeTimeoutSeconds),
    [LABEL.maxConnections]: String(t.maxConnections),
    [LABEL.requestTimeoutSeconds]: String(t.requestTimeoutSeconds),
    [LABEL.egress]: String(t.egress),
    ...(t.lightSleepSeconds === undefined ? {} : { [LABEL.lightSleepSeconds]: String(t.lightSleepSeconds) }),
    ...(t.memoryMb === undefined ? {} : { [LABEL.memoryMb]: String(t.memoryMb) }),
    ...(t.pidsLimit === undefined ? {} : { [LABEL.pidsLimit]: String(t.pidsLimit) }),
    ...(t.disk === undefined ? {} : { [LABEL.diskMb]: String(t.disk.sizeMb), [LABEL.diskVolume]: t.disk.volume }),
    [LABEL.members]: t.members.join(","),
    [LABEL.accessKeySha256]: t.accessKeySha256,
    ...(t.ports.length ? { [LABEL.ports]: t.ports.join(",") } : {}),
    // Written only when set, so a stack without host names or Access changes no tenant's labels.
    ...(t.hostnames.length ? { [LABEL.hostnames]: t.hostnames.join(",") } : {}),
    ...(Object.keys(t.accessAudiences).length
      ? { [LABEL.accessAudiences]: Object.entries(t.accessAudiences).map(([host, aud]) => `${host}=${aud}`).join(",") }
      : {}),
  };
}
