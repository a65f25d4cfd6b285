import type { Redis } from "ioredis";

/**
 * Counts the times a Redis client's connection was lost or a command on it failed. An answer read under one
 * epoch says nothing about the store once the epoch has moved on: the store may be gone, or be a fresh,
 * empty one. One counter per client, however many stores share it.
 */
export class ConnectionEpoch {
  private value = 0;

  constructor(private readonly redis: Redis) {
    // ioredis sets `status` first and emits these a tick later; `unchangedSince` looks at both.
    for (const event of ["close", "end", "error", "reconnecting"]) redis.on(event, () => this.bump());
  }

  get current(): number {
    return this.value;
  }

  /** A command failed: the connection may be dead although the client has not noticed yet. */
  bump(): void {
    this.value++;
  }

  /** True while the connection is up and has stayed up, with no failed command, since `epoch` was read. */
  unchangedSince(epoch: number): boolean {
    return this.value === epoch && this.redis.status === "ready";
  }
}

const epochs = new WeakMap<Redis, ConnectionEpoch>();

export function epochOf(redis: Redis): ConnectionEpoch {
  let epoch = epochs.get(redis);
  if (!epoch) {
    epoch = new ConnectionEpoch(redis);
    epochs.set(redis, epoch);
  }
  return epoch;
}
