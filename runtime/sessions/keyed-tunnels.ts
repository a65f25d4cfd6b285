import { log } from "../observe/log";
import type { ApiKeys } from "./api-keys";

/**
 * WebSockets opened with an API key, by key: every `everyMs` the keys still open are looked up at once
 * (one Redis pipeline), and the tunnels of a key revoked or expired since, on any supervisor, are closed.
 * A request is checked when it is made; a tunnel lives on, so it is checked while it does.
 */
export class KeyedTunnels {
  private readonly open = new Map<string, Set<AbortController>>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly apiKeys: ApiKeys,
    private readonly everyMs = 1000,
  ) {}

  /** A tunnel opened with key `id`: its signal aborts once the key is unusable; call done() when it ends. */
  watch(id: string): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    let tunnels = this.open.get(id);
    if (!tunnels) this.open.set(id, (tunnels = new Set()));
    tunnels.add(controller);
    this.timer ??= setInterval(() => void this.sweep(), this.everyMs).unref();
    return {
      signal: controller.signal,
      done: () => {
        tunnels.delete(controller);
        if (tunnels.size === 0 && this.open.get(id) === tunnels) this.open.delete(id);
        if (this.open.size === 0) this.stop();
      },
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const dead = await this.apiKeys.unusable([...this.open.keys()]);
      for (const id of dead) {
        const tunnels = this.open.get(id);
        if (!tunnels) continue;
        log.info("api key tunnels closed", { key: id, tunnels: tunnels.size, reason: "key revoked or expired" });
        for (const controller of tunnels) controller.abort();
      }
    } catch (err) {
      // Already open and checked when opened: a Redis blip does not cut every keyed WebSocket; the next pass asks again.
      log.warn("api key tunnels not checked", { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.sweeping = false;
    }
  }
}
