import { Ready } from "../wake/waker";

/**
 * The Server-Timing entry of a response that waited for its tenant to wake (W3C Server Timing), so a
 * client sees its own cold start: `wake;dur=<ms>;desc="light|deep"`. Undefined when nothing was waited for.
 */
export function wakeTiming(ready: Ready): string | undefined {
  if (!ready.waited) return undefined;
  return `wake;dur=${ready.waited.ms.toFixed(1)};desc="${ready.waited.kind}"`;
}
