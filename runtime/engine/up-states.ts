import { EngineEvent, UpState } from "./engine";

/** How long what the events say is trusted without a list: a change the engine never reported is seen within this. */
export const RELIST_MS = 60_000;

/**
 * Which declared tenants are up (running or paused), kept from the engine's events so that a reaper pass
 * does not list every container: with a thousand tenants that list was most of a pass and its slowest part.
 * The tenants are listed instead while the events are not watched, after a reconnect (what changed
 * meanwhile was not reported), and once every RELIST_MS.
 */
export class UpStates {
  private known: Map<string, UpState> | undefined;
  private listedAt = 0;
  private watching = false;
  /** Counts `watching` events: a list asked for before the latest one may have missed a change. */
  private connects = 0;
  private listing: { done: Promise<Map<string, UpState>>; seen: EngineEvent[] } | undefined;

  constructor(
    private readonly list: () => Promise<Map<string, UpState>>,
    private readonly now: () => number = Date.now,
  ) {}

  onEvent(event: EngineEvent): void {
    if (event.kind === "watching" || event.kind === "unwatched") {
      this.watching = event.kind === "watching";
      this.connects += event.kind === "watching" ? 1 : 0;
      this.known = undefined;
      return;
    }
    this.listing?.seen.push(event);
    if (this.known) apply(this.known, event);
  }

  /** The tenants that are up now, by id. */
  async current(): Promise<Map<string, UpState>> {
    if (this.known && this.watching && this.now() - this.listedAt < RELIST_MS) return new Map(this.known);
    return new Map(await this.relist());
  }

  /** One list at a time; callers meanwhile share it. */
  private relist(): Promise<Map<string, UpState>> {
    if (this.listing) return this.listing.done;
    const seen: EngineEvent[] = [];
    const [connects, startedAt] = [this.connects, this.now()];
    const done = this.list()
      .then((listed) => {
        // A change reported while the list ran may be newer than what it saw: applied in order, each tenant
        // ends as its last report says.
        for (const event of seen) apply(listed, event);
        if (this.watching && this.connects === connects) {
          this.known = new Map(listed);
          this.listedAt = startedAt;
        }
        return listed;
      })
      .finally(() => {
        this.listing = undefined;
      });
    this.listing = { done, seen };
    return done;
  }
}

function apply(up: Map<string, UpState>, event: EngineEvent): void {
  if (event.kind === "running") up.set(event.tenant, "running");
  else if (event.kind === "paused") up.set(event.tenant, "paused");
  else if (event.kind === "stopped" || event.kind === "removed") up.delete(event.tenant);
}
