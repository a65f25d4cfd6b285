// Which subnet each network of a stack gets. Shared by the program and `dormer validate`, so it must not import
// @pulumi/*. Docker's default pools give out only ~31 bridge networks (/16 or /20 each); every network the
// program declares takes a small explicit subnet from the stack's pool instead.
import * as crypto from "crypto";

export const DEFAULT_SUBNET_POOL = "10.212.0.0/16";
/** 16 addresses: network, gateway, broadcast and 13 for the tenant, the supervisor replicas and room to spare. */
export const DEFAULT_NETWORK_PREFIX = 28;
// A /29 leaves 5 hosts (tenant + supervisors); smaller would not hold two supervisor replicas.
const LONGEST_PREFIX = 29;

/** The shared networks take the pool's first slots, so they never move and never meet a tenant's hash. */
const SHARED_SLOTS = { core: 0, edge: 1 } as const;
export type SharedNetwork = keyof typeof SHARED_SLOTS;

export class SubnetPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SubnetPoolError";
  }
}

/** A pool cut into equal slots of `networkPrefix` bits; slot i is the i-th such subnet. */
export class SubnetPool {
  readonly slots: number;
  private readonly base: number;

  private constructor(
    readonly cidr: string,
    readonly prefix: number,
    readonly networkPrefix: number,
    base: number,
  ) {
    this.base = base;
    this.slots = 2 ** (networkPrefix - prefix);
  }

  /** `10.212.0.0/16` and 28; every problem names the stack setting to change. */
  static parse(cidr: string, networkPrefix: number): SubnetPool {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const prefix = m ? Number(m[5]) : NaN;
    if (!m || octets.some((o) => o > 255) || prefix > 32) {
      throw new SubnetPoolError(`dormer:subnetPool: must be an IPv4 CIDR like ${DEFAULT_SUBNET_POOL}, got "${cidr}"`);
    }
    const base = octets.reduce((acc, o) => acc * 256 + o, 0);
    if (base % 2 ** (32 - prefix) !== 0) {
      throw new SubnetPoolError(`dormer:subnetPool: ${cidr} has host bits set (did you mean ${ipOf(base - (base % 2 ** (32 - prefix)))}/${prefix}?)`);
    }
    if (!Number.isInteger(networkPrefix) || networkPrefix > LONGEST_PREFIX || networkPrefix < prefix + 2) {
      throw new SubnetPoolError(
        `dormer:networkPrefixLength: must be a whole number from ${prefix + 2} (the pool is /${prefix}) to ${LONGEST_PREFIX}, got ${networkPrefix}`,
      );
    }
    return new SubnetPool(cidr, prefix, networkPrefix, base);
  }

  /** How many tenant networks fit once the shared networks have theirs. */
  get tenantCapacity(): number {
    return this.slots - Object.keys(SHARED_SLOTS).length;
  }

  /** A pool too small for the file is refused before anything is touched. */
  checkCapacity(tenants: number): void {
    if (tenants > this.tenantCapacity) {
      throw new SubnetPoolError(
        `dormer:subnetPool: ${tenants} tenants need ${tenants} /${this.networkPrefix} subnets, but ${this.cidr} holds ${this.tenantCapacity} ` +
          `(after core and edge): widen the pool or lengthen dormer:networkPrefixLength`,
      );
    }
  }

  subnet(slot: number): string {
    return `${ipOf(this.base + slot * this.slotSize)}/${this.networkPrefix}`;
  }

  /** The first host of the subnet, as Docker would pick it; stated so the declared and the read back agree. */
  gateway(subnet: string): string {
    const slot = this.slotOf(subnet);
    if (slot === undefined) throw new SubnetPoolError(`${subnet} is not a /${this.networkPrefix} of ${this.cidr}`);
    return ipOf(this.base + slot * this.slotSize + 1);
  }

  /** The last host of the subnet (below its broadcast): an address Docker hands out only when the rest are taken. */
  lastHost(subnet: string): string {
    const slot = this.slotOf(subnet);
    if (slot === undefined) throw new SubnetPoolError(`${subnet} is not a /${this.networkPrefix} of ${this.cidr}`);
    return ipOf(this.base + (slot + 1) * this.slotSize - 2);
  }

  shared(network: SharedNetwork): string {
    return this.subnet(SHARED_SLOTS[network]);
  }

  /** The slot a subnet occupies, or undefined if it is not one of this pool's slots. */
  slotOf(subnet: string): number | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet);
    if (!m || Number(m[5]) !== this.networkPrefix) return undefined;
    const address = m.slice(1, 5).map(Number).reduce((acc, o) => acc * 256 + o, 0);
    const offset = address - this.base;
    if (offset < 0 || offset % this.slotSize !== 0 || offset / this.slotSize >= this.slots) return undefined;
    return offset / this.slotSize;
  }

  private get slotSize(): number {
    return 2 ** (32 - this.networkPrefix);
  }
}

/** The pool a stack's config names (values as Pulumi.<stack>.yaml holds them: strings), defaults filled in. */
export function subnetPoolFrom(config: { subnetPool?: unknown; networkPrefixLength?: unknown }): SubnetPool {
  const length = config.networkPrefixLength === undefined ? DEFAULT_NETWORK_PREFIX : Number(config.networkPrefixLength);
  return SubnetPool.parse(String(config.subnetPool ?? DEFAULT_SUBNET_POOL), length);
}

function ipOf(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * Tenant id -> subnet, stable under adding, removing and reordering tenants:
 * - a tenant that had a subnet in the stack's last update keeps it;
 * - a new tenant hashes its id to a slot and takes the first free one from there. Slots of tenants that had
 *   one before, including tenants leaving the file in this same update (their networks are deleted only after
 *   the new ones are created), count as taken;
 * - new tenants probe in id order, so the file's order never matters.
 * `previous` is the stack's last `tenantSubnets` output; entries outside the pool (the pool was changed) or
 * in a slot another tenant already holds are ignored and that tenant probes again.
 */
export function allocateSubnets(pool: SubnetPool, ids: readonly string[], previous: Readonly<Record<string, string>> = {}): Record<string, string> {
  pool.checkCapacity(ids.length);
  const taken = new Set<number>(Object.values(SHARED_SLOTS));
  const kept = new Map<string, number>();
  // Current tenants first, so a departing tenant's stale entry can never take a current tenant's slot.
  const wanted = new Set(ids);
  const entries = Object.entries(previous).sort(([a], [b]) => Number(!wanted.has(a)) - Number(!wanted.has(b)) || (a < b ? -1 : a > b ? 1 : 0));
  for (const [id, subnet] of entries) {
    const slot = pool.slotOf(subnet);
    if (slot === undefined || taken.has(slot)) continue;
    taken.add(slot);
    if (wanted.has(id)) kept.set(id, slot);
  }
  const tenantSlots = pool.tenantCapacity;
  const firstTenantSlot = pool.slots - tenantSlots;
  const out: Record<string, string> = {};
  for (const id of [...ids].sort()) {
    let slot = kept.get(id);
    if (slot === undefined) {
      const start = crypto.createHash("sha256").update(id).digest().readUInt32BE(0) % tenantSlots;
      for (let i = 0; i < tenantSlots && slot === undefined; i++) {
        const candidate = firstTenantSlot + ((start + i) % tenantSlots);
        if (!taken.has(candidate)) slot = candidate;
      }
      if (slot === undefined) {
        throw new SubnetPoolError(
          `dormer:subnetPool: no free subnet for tenant ${id}: ${pool.cidr} is full until the networks of tenants removed ` +
            `in this update are gone; run up again once they are, or widen the pool`,
        );
      }
      taken.add(slot);
    }
    out[id] = pool.subnet(slot);
  }
  return out;
}
