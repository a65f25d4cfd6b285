import Docker from "dockerode";
import { log } from "../observe/log";
import { EngineEvent } from "./engine";

/**
 * Follows the engine's event stream (one JSON object a line) with the given filters, and connects again
 * whenever the stream ends or fails. It says when it is subscribed ("watching": Docker answers once every
 * change from then on will be reported) and when it no longer is ("unwatched"), so whatever is kept from the
 * events is read afresh after a gap. Returns a function that stops following.
 */
export function followEvents<T>(
  docker: Docker,
  filters: Record<string, string[]>,
  engineName: string,
  onRaw: (event: T) => void,
  onEvent: (event: EngineEvent) => void,
): () => void {
  let stopped = false;
  let stream: NodeJS.ReadableStream | undefined;
  const connect = async (): Promise<void> => {
    try {
      stream = (await docker.getEvents({ filters })) as NodeJS.ReadableStream;
    } catch (err) {
      log.warn(`${engineName} events unavailable; retrying`, { error: String(err) });
      if (!stopped) setTimeout(connect, 2000).unref();
      return;
    }
    onEvent({ kind: "watching" });
    let buffer = "";
    let lost = false;
    // End, error and close may each come, in any order: one reconnect per stream.
    const onLost = () => {
      if (lost) return;
      lost = true;
      onEvent({ kind: "unwatched" });
      if (!stopped) setTimeout(connect, 1000).unref();
    };
    stream.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim()) onRaw(JSON.parse(line) as T);
      }
    });
    stream.on("end", onLost);
    stream.on("error", onLost);
    stream.on("close", onLost);
  };
  void connect();
  return () => {
    stopped = true;
    (stream as unknown as { destroy?: () => void })?.destroy?.();
  };
}
