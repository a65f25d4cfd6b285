import { steadySocket, SocketReport } from "./steady-socket";
import { steadyTraffic, TrafficReport } from "./steady-traffic";
import { siteOf } from "./supervisor";

/** What clients of one awake tenant saw while a change was applied. */
export interface ChangeReport {
  /** How long applying the change took, in seconds. */
  applySeconds: number;
  http: TrafficReport;
  ws: SocketReport;
}

export interface TrafficTarget {
  /** The platform's URL through the gateway, e.g. http://127.0.0.1:18088. */
  gateway: string;
  tenant: string;
  /** The tenant's session cookie ("name=value"). */
  cookie: string;
}

/**
 * Applies a change (a `dormer up`) while one client sends a GET every 20 ms to an awake tenant through the
 * gateway and another holds a WebSocket open to it, reconnecting whenever the server closes it.
 */
export async function changeUnderTraffic(target: TrafficTarget, apply: () => Promise<unknown>): Promise<ChangeReport> {
  const site = siteOf(target.gateway, target.tenant);
  const port = Number(new URL(target.gateway).port);
  const headers = { cookie: target.cookie };
  const ws = await steadySocket(port, new URL(site).host, headers);
  const http = steadyTraffic(`${site}/messages?limit=1`, headers);
  await sleep(500);
  const started = Date.now();
  try {
    await apply();
  } catch (err) {
    await Promise.all([http.stop(), ws.stop()]);
    throw err;
  }
  const applySeconds = (Date.now() - started) / 1000;
  // What follows the change is part of it: a replica or a container still settling.
  await sleep(1000);
  return { applySeconds, http: await http.stop(), ws: await ws.stop() };
}

/** One line a person reads: requests, failures, the longest gap and how the WebSockets fared. */
export function describeChange(r: ChangeReport): string {
  const closes = r.ws.closes.length === 0 ? "stayed open" : `closed ${r.ws.closes.join(", ")}, reconnected (${r.ws.reconnectFailures.length} refused)`;
  return `${r.http.sent} GETs, ${r.http.failures.length} failed, longest gap ${r.http.longestGapMs} ms, slowest ${r.http.slowestMs} ms; WebSocket ${closes}, ${r.ws.lostEchoes} echoes lost; applied in ${r.applySeconds.toFixed(1)} s`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
