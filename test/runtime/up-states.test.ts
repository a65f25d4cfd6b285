import { strict as assert } from "assert";
import * as crypto from "crypto";
import { DockerEngine } from "../../runtime/engine/docker";
import { UpState } from "../../runtime/engine/engine";
import { UpStates } from "../../runtime/engine/up-states";
import { docker } from "../support/docker";
import { waitFor } from "../support/poll";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

describe("runtime: which tenants are up follows Docker's own events, started by anyone (real Docker)", function () {
  this.timeout(120_000);
  const stack = `us${crypto.randomBytes(3).toString("hex")}`;
  let tenant: TestTenant;
  let up: UpStates;
  let lists = 0;
  let unwatch: () => void = () => undefined;

  before(async () => {
    tenant = await declareTenant(stack, "byhand");
    const engine = new DockerEngine(stack, "/var/run/docker.sock");
    up = new UpStates(() => {
      lists++;
      return engine.running();
    });
    await new Promise<void>((resolve) => {
      unwatch = engine.watch((event) => {
        up.onEvent(event);
        if (event.kind === "watching") resolve();
      });
    });
  });

  after(async () => {
    unwatch();
    await removeStack(stack);
  });

  const stateOf = async (): Promise<UpState | "down"> => (await up.current()).get(tenant.id) ?? "down";
  const becomes = (state: UpState | "down") => waitFor(`${tenant.id} to be ${state}`, async () => (await stateOf()) === state, 15_000, 50);

  it("after one list, a container started, paused, unpaused and stopped by hand is seen without listing again", async () => {
    assert.equal(await stateOf(), "down");
    assert.equal(lists, 1);
    const container = docker.getContainer(tenant.container);
    await container.start();
    await becomes("running");
    await container.pause();
    await becomes("paused");
    await container.unpause();
    await becomes("running");
    await container.stop({ t: 1 });
    await becomes("down");
    assert.equal(lists, 1, "listed the containers again instead of following the events");
  });
});
