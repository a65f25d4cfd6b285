import { strict as assert } from "assert";
import { EngineRun, untilEngineStops } from "../../cli/engine-signals";

/**
 * An engine operation that ends only when it is told to stop (or after `ms`), reporting how it ended. With
 * `inGroup` it also gets a terminal's ^C itself, as the engine does in the CLI's process group, and says so a
 * moment later; being asked again after that makes it terminate, as the real one does.
 */
function fakeEngine(ms: number, inGroup = false): (engine: EngineRun) => Promise<string> {
  return ({ signal, onEvent }) =>
    new Promise((resolve) => {
      let interrupts = 0;
      const done = setTimeout(() => resolve("finished"), ms);
      const interrupted = () => {
        if (++interrupts > 1) return;
        clearTimeout(done);
        // The engine takes a while to finish its steps and write the state; a second interrupt meanwhile
        // makes it terminate its plugins instead.
        setTimeout(() => {
          process.off("SIGINT", ownCtrlC);
          resolve(interrupts > 1 ? "terminated" : "stopped and recorded");
        }, 100);
      };
      const ownCtrlC = () => {
        interrupted();
        const message = "^C received; cancelling. If you would like to terminate immediately, press ^C again.\n";
        setTimeout(() => onEvent({ sequence: 1, timestamp: 0, stdoutEvent: { message, color: "never" } }), 50);
      };
      if (inGroup) process.on("SIGINT", ownCtrlC);
      signal.addEventListener("abort", interrupted);
    });
}

const ignore = () => undefined;

describe("unit: the CLI outlives the engine on a stop request", () => {
  let stderr: typeof console.error;
  const said: string[] = [];
  beforeEach(() => {
    said.length = 0;
    stderr = console.error;
    console.error = (s: string) => said.push(s);
  });
  afterEach(() => {
    console.error = stderr;
  });

  it("passes a SIGTERM on at once, ignores the next ones and waits for the engine to end", async () => {
    const running = untilEngineStops(fakeEngine(5000), ignore);
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGINT", "SIGINT");
    assert.equal(await running, "stopped and recorded");
    assert.equal(said.filter((s) => /stopping; the engine finishes/.test(s)).length, 1);
    assert.equal(said.filter((s) => /still waiting for the engine to record/.test(s)).length, 2);
  });

  it("leaves a terminal's ^C to the engine, which has it too", async () => {
    const running = untilEngineStops(fakeEngine(5000, true), (e) => said.push(e.stdoutEvent?.message ?? ""));
    process.emit("SIGINT", "SIGINT");
    assert.equal(await running, "stopped and recorded", "not asked a second time, which would make it terminate");
    assert.ok(said.some((s) => s.startsWith("^C received")), "the engine's own words still reach the display");
  });

  it("passes a SIGINT on when it reached only the CLI", async () => {
    const running = untilEngineStops(fakeEngine(5000), ignore);
    process.emit("SIGINT", "SIGINT");
    assert.equal(await running, "stopped and recorded");
  });

  it("stops listening once the operation has ended", async () => {
    const before = process.listenerCount("SIGTERM");
    await untilEngineStops(fakeEngine(10), ignore);
    assert.equal(process.listenerCount("SIGTERM"), before);
  });
});
