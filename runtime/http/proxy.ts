import * as http from "http";
import * as net from "net";
import type { Duplex } from "stream";
import { DeclaredTenant } from "../engine/engine";
import { UpstreamError, UpstreamTimeoutError, toHttp } from "../errors";
import { Identity } from "../identity/identity";
import { Metrics } from "../observe/metrics";
import { UsageLedger } from "../observe/usage";
import type { ClientInfo } from "./client-address";
import { downstreamHeaders, downstreamUpgradeHead, upstreamHeaders } from "./proxy-headers";
import { closeFrame, FrameBoundary } from "./ws-frame-boundary";

/** Errors that mean the tenant's app is not there (any more): the caller forgets it is awake. */
const GONE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "ETIMEDOUT"]);

/** Methods that change nothing (RFC 9110 9.2.2): sent again when the app was gone before it answered. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS"]);

/** A request with no body, so it can be sent again as it came: its bytes were all in its head. */
function canResend(req: http.IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return IDEMPOTENT.has(req.method ?? "") && req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0");
}

/** After one side of a tunnel ends, how long the other may still send (its close frame) before both go. */
export const HALF_CLOSE_GRACE_MS = 2_000;
/** TCP keepalive probes find a peer that vanished without a FIN or a reset (a host or link gone). */
const KEEPALIVE_MS = 30_000;
/** Node's own limit for a request's or response's head: a tenant's upgrade answer gets no more. */
const MAX_UPGRADE_HEAD_BYTES = 16 * 1024;

/** A timer that fires after ms without a touch(); cheap to touch on every chunk (Timeout.refresh). */
function idleTimer(ms: number, onIdle: () => void): { touch: () => void; stop: () => void } {
  const timer = setTimeout(onIdle, ms);
  return { touch: () => void timer.refresh(), stop: () => clearTimeout(timer) };
}

type TunnelEnd = "clean" | "half_closed" | "idle" | "error" | "revoked" | "draining";

export interface TenantProxyOptions {
  /** A tunnel with no byte either way for this long is closed (a browser's WebSocket sends no pings). */
  tunnelIdleMs: number;
  /** Aborted when this supervisor drains (it is stopping): every tunnel is closed, WebSockets with 1012. */
  leaving?: AbortSignal;
}

/**
 * HTTP and WebSocket to a tenant over its network, streamed both ways (no body is buffered whole). Errors
 * never escape the request: the client gets a clear 502, and the upstream request is aborted when the
 * client leaves.
 */
export class TenantProxy {
  private readonly agents = new Map<string, http.Agent>();
  private readonly tunnelIdleMs: number;
  private readonly leaving: AbortSignal | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly usage: UsageLedger,
    private readonly onGone: (tenant: string) => void,
    options: TenantProxyOptions,
  ) {
    this.tunnelIdleMs = options.tunnelIdleMs;
    this.leaving = options.leaving;
  }

  private agent(address: string): http.Agent {
    let agent = this.agents.get(address);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 256, keepAliveMsecs: 10_000 });
      this.agents.set(address, agent);
    }
    return agent;
  }

  /** Drops pooled connections to a tenant that went to sleep. */
  release(address: string): void {
    this.agents.get(address)?.destroy();
    this.agents.delete(address);
  }

  /**
   * Streams one request to the tenant and its answer back. A request that goes requestTimeoutSeconds
   * without a byte either way is cut: a 504 naming the tenant if no answer started, else the response is
   * aborted. An idle timer, not a total one: a long download or upload is never cut while bytes flow.
   * resend, when given, is called instead of answering 502 if the app is gone (its container stopped or
   * replaced) before any answer and the request is idempotent with no body: the caller sends it again.
   */
  forward(req: http.IncomingMessage, res: http.ServerResponse, tenant: DeclaredTenant, identity: Identity, address: string, client: ClientInfo, timing?: string, resend?: () => void): void {
    const [host, port] = address.split(":");
    let timedOut = false;
    const upstream = http.request({
      host,
      port: Number(port),
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(req.headers, identity, client),
      agent: this.agent(address),
    });
    const idle = idleTimer(tenant.requestTimeoutSeconds * 1000, () => {
      timedOut = true;
      this.metrics.proxyErrors.inc({ tenant: tenant.id, kind: "timeout" });
      if (!res.headersSent) {
        const { status, body } = toHttp(new UpstreamTimeoutError(tenant.id, tenant.requestTimeoutSeconds));
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      } else {
        res.destroy();
      }
      upstream.destroy();
    });
    req.on("data", (chunk: Buffer) => {
      idle.touch();
      this.usage.add(tenant.id, "bytesIn", chunk.length);
    });
    upstream.on("response", (up) => {
      idle.touch();
      up.on("data", (chunk: Buffer) => {
        idle.touch();
        this.usage.add(tenant.id, "bytesOut", chunk.length);
      });
      up.on("end", idle.stop);
      const headers = downstreamHeaders(up.headers);
      delete headers.connection;
      delete headers["keep-alive"];
      // writeHead's headers win over ones already set: keep a re-issued session cookie next to the app's own.
      const ours = res.getHeader("set-cookie");
      if (ours !== undefined) headers["set-cookie"] = [...([] as string[]).concat(ours as string | string[]), ...(headers["set-cookie"] ?? [])];
      // The wake this request waited for comes first; the app's own entries follow.
      if (timing) headers["server-timing"] = [timing, ...([] as string[]).concat(headers["server-timing"] ?? [])];
      res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
      // Node holds the headers until the first body chunk; a stream that starts slowly (server-sent events,
      // a long report) must show its headers as soon as the tenant sent them. Cheap: most bodies come first.
      const flush = setImmediate(() => res.flushHeaders());
      up.once("data", () => clearImmediate(flush));
      up.once("end", () => clearImmediate(flush));
      up.pipe(res);
    });
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      idle.stop();
      // Our own cut: the tenant is slow, not gone, and the client already has its answer.
      if (timedOut) return;
      this.metrics.proxyErrors.inc({ tenant: tenant.id, kind: err.code ?? "error" });
      if (err.code && GONE.has(err.code)) {
        this.onGone(tenant.id);
        this.release(address);
        if (resend && !res.headersSent && !res.destroyed && canResend(req)) {
          this.metrics.proxyResends.inc({ tenant: tenant.id });
          resend();
          return;
        }
      }
      if (!res.headersSent) {
        const { status, body } = toHttp(new UpstreamError(tenant.id, err.code ?? err.message));
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      } else {
        res.destroy(err);
      }
    });
    // The client went away before the answer was complete: stop working on its behalf.
    res.on("close", () => {
      idle.stop();
      if (!res.writableFinished) upstream.destroy();
    });
    // A request sent again has been read already: its (empty) body has ended.
    if (req.readableEnded) upstream.end();
    else req.pipe(upstream);
  }

  /**
   * Passes a WebSocket (or any HTTP upgrade) through; resolves when the tunnel is gone. Whatever either peer
   * does, both sockets are destroyed: on an error, HALF_CLOSE_GRACE_MS after one side ends, or after
   * tunnelIdleMs without a byte either way. The tenant's end is reset rather than closed, so even an app
   * that ignores a FIN gets an error on its socket and frees it. A WebSocket whose tenant side ends without
   * a close frame (its container stopped or replaced) is closed to the client with 1012 (service restart),
   * the code that tells a client to reconnect, when the tenant's last frame was complete. `revoked` aborting
   * (the credential it was opened with is gone) closes both at once. When this supervisor drains, the
   * tenant's frame under way is let through to its end, then the client gets 1012 (and reconnects, through
   * the gateway, to another supervisor) and the tenant's side is reset; a tunnel whose tenant has not
   * answered its handshake yet is answered 503 instead, which the gateway may send elsewhere.
   */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, tenant: DeclaredTenant, identity: Identity, address: string, client: ClientInfo, timing?: string, revoked?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const [host, port] = address.split(":");
      const upstream = net.connect({ port: Number(port), host, noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_MS });
      if (socket instanceof net.Socket) socket.setKeepAlive(true, KEEPALIVE_MS).setNoDelay(true);
      const headers = upstreamHeaders(req.headers, identity, client, true);
      let done = false;
      let grace: NodeJS.Timeout | undefined;
      /** Set once the tenant's 101 answer is passed on: from there on its bytes are WebSocket frames. */
      let frames: FrameBoundary | undefined;
      const follow = (chunk: Buffer) => frames?.push(chunk);
      /** Tells the client the tenant went away, when the tenant did not say so itself; true when it did. */
      const farewell = (code = 1012, reason = "tenant restarting"): boolean => {
        if (!frames || frames.sawClose || !frames.atBoundary || !socket.writable) return false;
        socket.end(closeFrame(code, reason));
        frames = undefined;
        return true;
      };
      const close = (why: TunnelEnd) => {
        if (done) return;
        done = true;
        clearTimeout(grace);
        if (why !== "clean" && !upstream.destroyed) upstream.resetAndDestroy();
        else upstream.destroy();
        // A close frame just written is let out first; the client's answer is not waited for long.
        // 1008 (policy violation): the client is told its key no longer holds, not that the tenant went away.
        const said = why === "error" ? farewell() : why === "revoked" ? farewell(1008, "api key revoked") : why === "draining" && farewell(1012, "supervisor restarting");
        if (said) setTimeout(() => socket.destroy(), HALF_CLOSE_GRACE_MS).unref();
        else socket.destroy();
        this.metrics.tunnelsClosed.inc({ tenant: tenant.id, reason: why });
        revoked?.removeEventListener("abort", onRevoked);
        this.leaving?.removeEventListener("abort", onLeaving);
        // Handshake included: what crossed the tunnel either way.
        this.usage.add(tenant.id, "bytesIn", upstream.bytesWritten);
        this.usage.add(tenant.id, "bytesOut", upstream.bytesRead);
        resolve();
      };
      // One side said goodbye; the other may still flush (a closing handshake), but not forever.
      const halfClosed = () => {
        grace ??= setTimeout(() => close("half_closed"), HALF_CLOSE_GRACE_MS);
      };
      upstream.on("connect", () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (const [name, value] of Object.entries(headers)) {
          for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
        }
        upstream.write(lines.join("\r\n") + "\r\n\r\n");
        if (head.length) upstream.write(head);
        let answer = Buffer.alloc(0);
        const readAnswerHead = (chunk: Buffer) => {
          answer = Buffer.concat([answer, chunk]);
          const end = answer.indexOf("\r\n\r\n");
          if (end === -1) {
            if (answer.length > MAX_UPGRADE_HEAD_BYTES) {
              this.metrics.proxyErrors.inc({ tenant: tenant.id, kind: "upgrade_head_too_large" });
              if (socket.writable) socket.write("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
              close("error");
            }
            return;
          }
          upstream.off("data", readAnswerHead);
          const timed = timing ? `\r\nServer-Timing: ${timing}` : "";
          socket.write(Buffer.from(downstreamUpgradeHead(answer.subarray(0, end).toString("latin1")) + timed + "\r\n\r\n", "latin1"));
          frames = new FrameBoundary();
          const rest = answer.subarray(end + 4);
          if (rest.length) {
            frames.push(rest);
            socket.write(rest);
          }
          upstream.on("data", follow);
          // Ended below, after a close frame of ours if the tenant sent none.
          upstream.pipe(socket, { end: false });
        };
        // The answer's head is read before the bytes flow, so a tenant cannot plant a platform cookie on it.
        upstream.on("data", readAnswerHead);
        // The client's FIN is not passed on: an app that ignores a half-close (Node's HTTP server allows
        // them; many apps never look) would stop reading and never see the reset that follows.
        socket.pipe(upstream, { end: false });
      });
      upstream.on("error", (err: NodeJS.ErrnoException) => {
        this.metrics.proxyErrors.inc({ tenant: tenant.id, kind: err.code ?? "error" });
        if (err.code && GONE.has(err.code) && !upstream.bytesRead) this.onGone(tenant.id);
        if (!done && !upstream.bytesRead && socket.writable) socket.write("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        close("error");
      });
      // The tenant's FIN is passed on (pipe), and the client may still send its last bytes (a close
      // frame) within the grace; the client's FIN ends the tunnel after the grace.
      upstream.on("end", () => {
        if (!farewell()) socket.end();
        halfClosed();
      });
      socket.on("end", halfClosed);
      // A side that closed cleanly may leave bytes (a close frame) still flowing to the other: let them
      // flush, within the grace. One that failed takes the other down at once.
      const closed = (hadError: boolean) => {
        if (hadError) close("error");
        else if (upstream.destroyed && socket.destroyed) close("clean");
        else halfClosed();
      };
      const onRevoked = () => close("revoked");
      revoked?.addEventListener("abort", onRevoked, { once: true });
      if (revoked?.aborted) onRevoked();
      const onLeaving = () => {
        if (done) return;
        if (!frames) {
          // Nothing was passed on to the client yet: it may send its upgrade again, elsewhere.
          if (socket.writable) socket.write("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n");
          return close("draining");
        }
        // From here each byte of the tenant's is passed on by hand, up to the end of its frame under way.
        upstream.unpipe(socket);
        upstream.off("data", follow);
        if (frames.atBoundary) return close("draining");
        const finishFrame = (chunk: Buffer) => {
          if (!frames) return;
          const taken = frames.toBoundary(chunk);
          socket.write(chunk.subarray(0, taken));
          if (frames.atBoundary) close("draining");
        };
        upstream.on("data", finishFrame);
        upstream.resume();
      };
      this.leaving?.addEventListener("abort", onLeaving, { once: true });
      if (this.leaving?.aborted) onLeaving();
      upstream.setTimeout(this.tunnelIdleMs, () => close("idle"));
      upstream.on("close", closed);
      socket.on("error", () => close("error"));
      socket.on("close", closed);
    });
  }
}
