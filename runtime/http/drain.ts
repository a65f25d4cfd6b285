import * as http from "http";

/**
 * A supervisor told to stop (SIGTERM) drains instead of dropping what it serves: it stops accepting (its
 * listeners close, so the gateway's next connection goes to another replica), answers every request it
 * already has, held wakes included, and closes each connection after its answer, so no kept-alive
 * connection outlives the drain. WebSockets are closed by the proxy (1012) when `signal` aborts.
 */
export class Drain {
  private readonly controller = new AbortController();
  /** Responses not yet finished: told to close their connection once the drain starts. */
  private readonly open = new Set<http.ServerResponse>();
  private server: http.Server | undefined;

  /** Aborted once the drain starts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get draining(): boolean {
    return this.controller.signal.aborted;
  }

  /** The server whose idle connections the drain closes. */
  watch(server: http.Server): void {
    this.server = server;
  }

  /** Called for each request as it arrives: during a drain its connection closes after the answer. */
  track(res: http.ServerResponse): void {
    if (this.draining) {
      this.closeAfter(res);
      return;
    }
    this.open.add(res);
    res.once("close", () => this.open.delete(res));
  }

  /** Starts the drain: every open response closes its connection when done, idle connections close now. */
  start(): void {
    if (this.draining) return;
    this.controller.abort();
    for (const res of this.open) this.closeAfter(res);
    this.open.clear();
    this.server?.closeIdleConnections();
  }

  /**
   * Connection: close on an answer not yet started; one whose head went out with keep-alive leaves its
   * connection idle when done, and an idle connection is closed then (the server's close() only closes
   * the ones idle when it is called).
   */
  private closeAfter(res: http.ServerResponse): void {
    if (!res.headersSent) res.shouldKeepAlive = false;
    res.once("finish", () => setImmediate(() => this.server?.closeIdleConnections()));
  }
}
