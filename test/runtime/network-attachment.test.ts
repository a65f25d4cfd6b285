import { strict as assert } from "assert";
import * as crypto from "crypto";
import { DockerEngine } from "../../runtime/engine/docker";
import { docker, inspectContainer } from "../support/docker";
import { waitFor } from "../support/poll";
import { declareTenant, removeStack, tenantAppImage } from "../support/tenants";
import { LABEL } from "../../runtime/engine/labels";

describe("engine: the supervisor's run-time attachment to a tenant's network (real Docker)", function () {
  this.timeout(120_000);
  const stack = `na${crypto.randomBytes(3).toString("hex")}`;
  // Stands for the supervisor's own container: what joins and leaves tenant networks.
  const self = `dormer-${stack}-self`;
  let engine: DockerEngine;
  let unwatch: () => void;

  before(async () => {
    const created = await docker.createContainer({ name: self, Image: tenantAppImage(), Cmd: ["sleep", "infinity"], Labels: { [LABEL.stack]: stack } });
    await created.start();
    engine = new DockerEngine(stack, "/var/run/docker.sock", self);
    unwatch = engine.watch(() => undefined);
  });

  after(async () => {
    unwatch?.();
    await removeStack(stack);
  });

  const attached = async (network: string) => Object.keys((await inspectContainer(self))?.NetworkSettings.Networks ?? {}).includes(network);

  it("joins only while the tenant's container runs, and never again once it is removed, however often it is asked", async () => {
    const t = await declareTenant(stack, "busy");
    const tenant = (await engine.discover()).find((d) => d.id === "busy")!;
    await assert.rejects(engine.address(tenant));
    assert.equal(await attached(t.network), false, "a stopped tenant's network is not joined");
    await engine.start(tenant);
    await waitFor("the tenant's address", () => engine.address(tenant).catch(() => undefined), 10_000, 50);
    assert.equal(await attached(t.network), true);

    // Requests held for the tenant keep asking for its address while `dormer up` removes the container.
    let asking = true;
    const askers = Array.from({ length: 4 }, async () => {
      while (asking) await engine.address(tenant).catch(() => undefined);
    });
    await docker.getContainer(t.container).remove({ force: true });
    await waitFor("the supervisor left the network", async () => !(await attached(t.network)), 5_000, 50);
    // Still asked for a while: the network must stay free, so the engine can delete it at its first try.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await attached(t.network), false, "joined again after the container was removed");
    await docker.getNetwork(t.network).remove();
    asking = false;
    await Promise.all(askers);
  });
});
