import * as http from "http";
import * as net from "net";
import type { Duplex } from "stream";
import { DeclaredTenant } from "./engine/engine";
import { UpstreamError, toHttp } from "./errors";
import { Identity } from "./identity/identity";
import { Metrics } from "./metrics";
import { upstreamHeaders } from "./proxy-headers";

export interface ClientInfo {
  ip: string;
  proto: string;
}

/** Errors that mean the tenant's app is not there (any more): the caller forgets it is awake. */
const GONE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "ETIMEDOUT"]);

/**
 * HTTP and WebSocket to a tenant over its network, streamed both ways (no body is buffered whole). Errors
 * never escape the request: the client gets a clear 502, and the upstream request is aborted when the
 * client leaves.
 */
export class TenantProxy {
  private readonly agents = new Map<string, http.Agent>();

  constructor(
    private readonly metrics: Metrics,
    private readonly onGone: (tenant: string) => void,
  ) {}

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

  forward(req: http.IncomingMessage, res: http.ServerResponse, tenant: DeclaredTenant, identity: Identity, address: string, client: ClientInfo): void {
    const [host, port] = address.split(":");
    const upstream = http.request({
      host,
      port: Number(port),
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(req.headers, identity, client),
      agent: this.agent(address),
    });
    upstream.on("response", (up) => {
      const headers = { ...up.headers };
      delete headers.connection;
      delete headers["keep-alive"];
      // writeHead's headers win over ones already set: keep a re-issued session cookie next to the app's own.
      const ours = res.getHeader("set-cookie");
      if (ours !== undefined) headers["set-cookie"] = [...([] as string[]).concat(ours as string | string[]), ...(up.headers["set-cookie"] ?? [])];
      res.writeHead(up.statusCode ?? 502, up.statusMessage, headers);
      up.pipe(res);
    });
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      this.metrics.proxyErrors.inc({ tenant: tenant.id, kind: err.code ?? "error" });
      if (err.code && GONE.has(err.code)) {
        this.onGone(tenant.id);
        this.release(address);
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
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** Passes a WebSocket (or any HTTP upgrade) through; returns when the tunnel closes. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, tenant: DeclaredTenant, identity: Identity, address: string, client: ClientInfo): Promise<void> {
    return new Promise((resolve) => {
      const [host, port] = address.split(":");
      const upstream = net.connect(Number(port), host);
      const headers = upstreamHeaders(req.headers, identity, client, true);
      let done = false;
      const close = () => {
        if (done) return;
        done = true;
        upstream.destroy();
        socket.destroy();
        resolve();
      };
      upstream.on("connect", () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (const [name, value] of Object.entries(headers)) {
          for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
        }
        upstream.write(lines.join("\r\n") + "\r\n\r\n");
        if (head.length) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on("error", (err: NodeJS.ErrnoException) => {
        this.metrics.proxyErrors.inc({ tenant: tenant.id, kind: err.code ?? "error" });
        if (err.code && GONE.has(err.code)) this.onGone(tenant.id);
        if (!done && socket.writable) socket.write("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        close();
      });
      upstream.on("close", close);
      socket.on("error", close);
      socket.on("close", close);
    });
  }
}
