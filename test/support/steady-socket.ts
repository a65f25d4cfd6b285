import { Frame, RawWebSocket } from "../tenant-app/ws-client";

/** What a client holding one WebSocket open saw: how each socket ended, and whether it came back. */
export interface SocketReport {
  /** The close code of each socket the server closed, in order; 0 for a socket that ended without a close frame. */
  closes: number[];
  /** Reconnects that failed (the handshake refused or the connection failed), with the reason. */
  reconnectFailures: string[];
  /** Echoes that did not come back within a second on an open socket. */
  lostEchoes: number;
  /** Echoes that came back. */
  echoes: number;
}

export interface SteadySocket {
  stop(): Promise<SocketReport>;
}

const ECHO_EVERY_MS = 200;
const ECHO_WITHIN_MS = 1000;

/**
 * Holds one WebSocket open to a tenant's origin through the gateway, as a live page does: an echo every
 * 200 ms on it, and when the server closes it, a reconnect at once. Reports how each socket ended.
 */
export async function steadySocket(port: number, host: string, headers: Record<string, string>): Promise<SteadySocket> {
  const r: SocketReport = { closes: [], reconnectFailures: [], lostEchoes: 0, echoes: 0 };
  let running = true;
  let ws = await RawWebSocket.connect(port, headers, host);
  const loop = (async () => {
    while (running) {
      let closeCode: number | undefined;
      let ended = false;
      void ws.ended.then(() => (ended = true));
      while (running && !ended) {
        ws.send(1, `echo ${r.echoes}`);
        const frame = await Promise.race([ws.next(), ws.ended.then(() => undefined), sleep(ECHO_WITHIN_MS).then(() => null)]);
        if (frame === null) r.lostEchoes++;
        else if (frame?.opcode === 8) {
          closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
          await ws.ended;
        } else if (frame) r.echoes++;
        await sleep(ECHO_EVERY_MS);
      }
      if (!running) break;
      // A close frame that arrived between two echoes is still queued on the ended socket.
      for (let queued = await nextQueued(ws); queued; queued = await nextQueued(ws)) {
        if (queued.opcode === 8) closeCode = queued.payload.length >= 2 ? queued.payload.readUInt16BE(0) : 1005;
      }
      r.closes.push(closeCode ?? 0);
      // The client's side of a reconnect: until one handshake succeeds, each refusal is a failure it saw.
      for (;;) {
        try {
          ws = await RawWebSocket.connect(port, headers, host);
          break;
        } catch (err) {
          r.reconnectFailures.push((err as Error).message);
          if (!running) return;
          await sleep(ECHO_EVERY_MS);
        }
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      ws.socket.destroy();
      return { ...r, closes: [...r.closes], reconnectFailures: [...r.reconnectFailures] };
    },
  };
}

/** The next frame already received, or null when none is queued. */
const nextQueued = (ws: RawWebSocket): Promise<Frame | null> => Promise.race([ws.next(), sleep(0).then(() => null)]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
