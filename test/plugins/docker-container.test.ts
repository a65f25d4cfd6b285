import * as assert from "assert";
import { UNKNOWN } from "../../scripts/offline/plugins/common/values";
import { dockerProvider as p } from "../../scripts/offline/plugins/docker/main";
import { cleanup, dockerCli, ensureTestImage, exists, inspect, PREFIX, TEST_IMAGE, urn, decision } from "./helpers";

const NETWORK = urn("docker:index/network:Network", "net");
const VOLUME = urn("docker:index/volume:Volume", "data");
const CONTAINER = urn("docker:index/container:Container", "tenant");
const MIB = 1024 * 1024;

/** The properties diff compares, so "same as before" ignores running-only outputs such as IPs. */
function compared(props: Record<string, unknown>): Record<string, unknown> {
    const { networkDatas: _n, exitCode: _e, bridge: _b, ...rest } = props;
    return rest;
}

describe("docker stand-in: network, volume, container against the real engine", function () {
    const netName = `${PREFIX}net`;
    const volName = `${PREFIX}data`;
    const ctrName = `${PREFIX}tenant`;
    let inputs: Record<string, any>;
    let id: string;
    let outs: Record<string, any>;

    before(function () {
        this.timeout(600_000);
        cleanup();
        ensureTestImage();
    });
    after(cleanup);

    it("creates an internal network with labels", async () => {
        const news = { name: netName, internal: true, labels: [{ label: "dormer.tenant", value: "acme" }] };
        const checked = await p.check!(NETWORK, {}, news);
        assert.deepStrictEqual(checked.failures, []);
        const created = await p.create!(NETWORK, checked.inputs);
        const info = inspect("network", netName);
        assert.strictEqual(info.Internal, true);
        assert.strictEqual(info.Driver, "bridge");
        assert.strictEqual(info.Labels["dormer.tenant"], "acme");
        assert.strictEqual(created.outs.scope, "local");
        assert.deepStrictEqual(decision(await p.diff!(created.id, NETWORK, created.outs, news)), { changes: false, replaces: [], deleteBeforeReplace: false });
        const changed = await p.diff!(created.id, NETWORK, created.outs, { ...news, internal: false });
        assert.deepStrictEqual(decision(changed), { changes: true, replaces: ["internal"], deleteBeforeReplace: true });
    });

    it("creates a volume", async () => {
        const created = await p.create!(VOLUME, { name: volName, labels: [{ label: "dormer.tenant", value: "acme" }] });
        assert.strictEqual(created.id, volName);
        assert.strictEqual(created.outs.driver, "local");
        assert.strictEqual(created.outs.mountpoint, inspect("volume", volName).Mountpoint);
    });

    it("creates a container without starting it, as declared", async () => {
        inputs = {
            name: ctrName,
            image: TEST_IMAGE,
            start: false,
            mustRun: false,
            restart: "unless-stopped",
            memory: 128,
            cpus: "0.5",
            envs: ["PORT=8080", "TENANT=acme"],
            labels: [{ label: "dormer.tenant", value: "acme" }, { label: "dormer.managed", value: "true" }],
            networksAdvanced: [{ name: netName, aliases: ["acme"] }],
            volumes: [{ volumeName: volName, containerPath: "/data" }],
            ports: [{ internal: 8080, external: 18080, ip: "127.0.0.1" }],
            healthcheck: { tests: ["CMD", "node", "-e", "process.exit(0)"], interval: "5s", timeout: "2s", retries: 3 },
            ulimits: [{ name: "nofile", soft: 4096, hard: 8192 }],
            logDriver: "json-file",
            logOpts: { "max-size": "10m", "max-file": "3" },
            destroyGraceSeconds: 5,
        };
        const checked = await p.check!(CONTAINER, {}, inputs);
        assert.deepStrictEqual(checked.failures, []);
        ({ id, outs } = await p.create!(CONTAINER, checked.inputs));
        const info = inspect("container", ctrName);
        assert.strictEqual(info.Id, id);
        assert.strictEqual(info.State.Running, false);
        assert.strictEqual(info.HostConfig.Memory, 128 * MIB);
        assert.strictEqual(info.HostConfig.NanoCpus, 500_000_000);
        assert.strictEqual(info.HostConfig.RestartPolicy.Name, "unless-stopped");
        assert.strictEqual(info.Config.Labels["dormer.tenant"], "acme");
        assert.deepStrictEqual(Object.keys(info.NetworkSettings.Networks), [netName], "attached to its network only, not the default bridge");
        assert.deepStrictEqual(info.HostConfig.Binds, [`${volName}:/data`]);
        assert.deepStrictEqual(info.HostConfig.PortBindings["8080/tcp"], [{ HostIp: "127.0.0.1", HostPort: "18080" }]);
        assert.strictEqual(info.Config.Healthcheck.Interval, 5e9);
        assert.deepStrictEqual(info.HostConfig.Ulimits, [{ Name: "nofile", Soft: 4096, Hard: 8192 }]);
        assert.deepStrictEqual(outs.ulimits, inputs.ulimits);
        assert.deepStrictEqual(info.HostConfig.LogConfig, { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } });
        assert.deepStrictEqual(outs.logOpts, inputs.logOpts);
        assert.ok(info.Config.Env.includes("IMAGE_DEFAULT=1"));
        assert.deepStrictEqual(outs.envs, inputs.envs, "image variables stay out of the state");
        assert.strictEqual(outs.memory, 128);
        assert.strictEqual(outs.healthcheck.interval, "5s");
    });

    it("shows no change for the same inputs, before and after a refresh", async () => {
        assert.deepStrictEqual(decision(await p.diff!(id, CONTAINER, outs, inputs)), { changes: false, replaces: [], deleteBeforeReplace: false });
        const read = await p.read!(id, CONTAINER, outs);
        assert.strictEqual(read.id, id);
        assert.deepStrictEqual(compared(read.props), compared(outs));
        assert.strictEqual((await p.diff!(id, CONTAINER, read.props, inputs)).changes, false);
    });

    it("updates memory in place, keeping the container", async () => {
        const news = { ...inputs, memory: 256 };
        assert.deepStrictEqual(decision(await p.diff!(id, CONTAINER, outs, news)), { changes: true, replaces: [], deleteBeforeReplace: false });
        const updated = await p.update!(id, CONTAINER, outs, news);
        const info = inspect("container", ctrName);
        assert.strictEqual(info.Id, id);
        assert.strictEqual(info.HostConfig.Memory, 256 * MIB);
        assert.strictEqual(updated.outs.memory, 256);
        inputs = news;
        outs = updated.outs;
        assert.strictEqual((await p.diff!(id, CONTAINER, outs, inputs)).changes, false);
    });

    for (const [property, value] of [
        ["cpus", "1"],
        ["labels", [{ label: "dormer.tenant", value: "other" }]],
        ["image", "dormer-base:bookworm"],
        ["envs", ["PORT=9090"]],
        ["networksAdvanced", [{ name: "bridge" }]],
        ["volumes", [{ volumeName: volName, containerPath: "/other" }]],
        ["ulimits", [{ name: "nofile", soft: 4096, hard: 16384 }]],
        ["logOpts", { "max-size": "20m", "max-file": "3" }],
        ["logDriver", "local"],
    ] as const) {
        it(`replaces the container when ${property} changes`, async () => {
            const diff = await p.diff!(id, CONTAINER, outs, { ...inputs, [property]: value });
            assert.deepStrictEqual(decision(diff), { changes: true, replaces: [property], deleteBeforeReplace: true });
            assert.deepStrictEqual((diff as { diffs?: string[] }).diffs, [property]);
        });
    }

    it("follows upstream for ulimits: a set (order is no change), ForceNew, every field required", async () => {
        const two = [{ name: "nofile", soft: 4096, hard: 8192 }, { name: "nproc", soft: 512, hard: 512 }];
        const reordered = [two[1], two[0]];
        const withTwo = await p.diff!(id, CONTAINER, { ...outs, ulimits: two }, { ...inputs, ulimits: reordered });
        assert.strictEqual(withTwo.changes, false);
        const added = await p.diff!(id, CONTAINER, { ...outs, ulimits: undefined }, inputs);
        assert.deepStrictEqual((added as { detailedDiff?: unknown }).detailedDiff, { ulimits: "add-replace" });
        const changed = await p.diff!(id, CONTAINER, outs, { ...inputs, ulimits: [{ name: "nofile", soft: 1024, hard: 8192 }] });
        assert.deepStrictEqual((changed as { detailedDiff?: unknown }).detailedDiff, { ulimits: "update-replace" });
        const removed = await p.diff!(id, CONTAINER, outs, { ...inputs, ulimits: undefined });
        assert.deepStrictEqual((removed as { detailedDiff?: unknown }).detailedDiff, { ulimits: "delete-replace" });
        const missing = await p.check!(CONTAINER, {}, { ...inputs, ulimits: [{ name: "nofile", soft: 1024 }] });
        assert.deepStrictEqual(missing.failures!.map((f) => f.property), ["ulimits[0].hard"]);
    });

    it("follows upstream for log settings: ForceNew, with the change named in the diff detail", async () => {
        const added = await p.diff!(id, CONTAINER, { ...outs, logOpts: undefined }, inputs);
        assert.deepStrictEqual((added as { detailedDiff?: unknown }).detailedDiff, { logOpts: "add-replace" });
        const changed = await p.diff!(id, CONTAINER, outs, { ...inputs, logOpts: { "max-size": "10m", "max-file": "5" } });
        assert.deepStrictEqual((changed as { detailedDiff?: unknown }).detailedDiff, { logOpts: "update-replace" });
        const leftOut = await p.diff!(id, CONTAINER, outs, { ...inputs, logDriver: undefined });
        assert.strictEqual(leftOut.changes, false, "the engine's driver is no change when the program leaves it out (Computed upstream)");
    });

    it("follows upstream for healthcheck: an in-place update (not ForceNew upstream)", async () => {
        const diff = await p.diff!(id, CONTAINER, outs, { ...inputs, healthcheck: { ...inputs.healthcheck, interval: "10s" } });
        assert.deepStrictEqual(decision(diff), { changes: true, replaces: [], deleteBeforeReplace: false });
        const sameInOtherUnits = await p.diff!(id, CONTAINER, outs, { ...inputs, healthcheck: { ...inputs.healthcheck, interval: "5000ms" } });
        assert.strictEqual(sameInOtherUnits.changes, false);
    });

    it("treats unknown inputs during preview as changes of the right kind", async () => {
        assert.deepStrictEqual((await p.check!(CONTAINER, outs, { ...inputs, image: UNKNOWN, memory: UNKNOWN })).failures, []);
        assert.deepStrictEqual((await p.diff!(id, CONTAINER, outs, { ...inputs, memory: UNKNOWN })).replaces, []);
        assert.deepStrictEqual((await p.diff!(id, CONTAINER, outs, { ...inputs, image: UNKNOWN })).replaces, ["image"]);
    });

    it("reads a container started by hand as unchanged when mustRun is false", async () => {
        dockerCli("start", ctrName);
        assert.strictEqual(inspect("container", ctrName).State.Running, true);
        const read = await p.read!(id, CONTAINER, outs);
        assert.deepStrictEqual(compared(read.props), compared(outs));
        assert.strictEqual((await p.diff!(id, CONTAINER, read.props, inputs)).changes, false);
        outs = read.props;
    });

    it("rejects a property the stand-in does not implement, naming it", async () => {
        const checked = await p.check!(CONTAINER, {}, { ...inputs, gpus: "all", healthcheck: { ...inputs.healthcheck, bogus: 1 } });
        assert.deepStrictEqual(checked.failures!.map((f) => f.property).sort(), ["gpus", "healthcheck.bogus"]);
        assert.strictEqual(checked.failures!.find((f) => f.property === "gpus")!.reason, 'docker stand-in: Container property "gpus" is not implemented by the offline stand-in');
        const bad = await p.check!(CONTAINER, {}, { ...inputs, restart: "sometimes", cpus: "lots" });
        assert.deepStrictEqual(bad.failures!.map((f) => f.property).sort(), ["cpus", "restart"]);
    });

    it("deletes the container but never the named volume", async () => {
        await p.delete!(id, CONTAINER, outs);
        assert.strictEqual(exists("container", ctrName), false);
        assert.strictEqual(exists("volume", volName), true);
    });

    it("reads a container removed by hand as gone", async () => {
        const created = await p.create!(CONTAINER, { name: ctrName, image: TEST_IMAGE, start: true });
        assert.strictEqual(inspect("container", ctrName).State.Running, true);
        dockerCli("rm", "-f", ctrName);
        assert.strictEqual((await p.read!(created.id, CONTAINER, created.outs)).id, "");
    });

    it("reports a stopped container that must run, and starts it on update", async () => {
        const created = await p.create!(CONTAINER, { name: ctrName, image: TEST_IMAGE });
        dockerCli("stop", "-t", "0", ctrName);
        const read = await p.read!(created.id, CONTAINER, created.outs);
        assert.strictEqual(read.props.mustRun, false);
        const news = { name: ctrName, image: TEST_IMAGE };
        assert.deepStrictEqual(decision(await p.diff!(created.id, CONTAINER, read.props, news)), { changes: true, replaces: [], deleteBeforeReplace: false });
        await p.update!(created.id, CONTAINER, read.props, news);
        assert.strictEqual(inspect("container", ctrName).State.Running, true);
        await p.delete!(created.id, CONTAINER, created.outs);
    });

    it("follows upstream for wait: create returns once the health check passes, and fails past waitTimeout", async () => {
        const health = (exit: number) => ({ tests: ["CMD", "node", "-e", `process.exit(${exit})`], interval: "1s", timeout: "2s", retries: 1 });
        const healthy = await p.create!(CONTAINER, { name: `${PREFIX}healthy`, image: TEST_IMAGE, healthcheck: health(0), wait: true, waitTimeout: 30 });
        assert.strictEqual(inspect("container", `${PREFIX}healthy`).State.Health.Status, "healthy", "healthy when create returns");
        assert.strictEqual(healthy.outs.wait, true);
        assert.strictEqual(healthy.outs.waitTimeout, 30);
        const news = { name: `${PREFIX}healthy`, image: TEST_IMAGE, healthcheck: health(0), wait: true, waitTimeout: 45 };
        assert.deepStrictEqual(decision(await p.diff!(healthy.id, CONTAINER, healthy.outs, news)), { changes: true, replaces: [], deleteBeforeReplace: false }, "not ForceNew upstream");
        await p.delete!(healthy.id, CONTAINER, healthy.outs);
        await assert.rejects(
            p.create!(CONTAINER, { name: `${PREFIX}unhealthy`, image: TEST_IMAGE, healthcheck: health(1), wait: true, waitTimeout: 3 }),
            /container dormer-test-plugins-unhealthy did not become healthy within 3 s \(health: (starting|unhealthy)\)/,
        );
        assert.strictEqual(exists("container", `${PREFIX}unhealthy`), false, "a failed create leaves no container");
    });

    it("fails clearly when the image is neither present nor pullable", async () => {
        await assert.rejects(
            p.create!(CONTAINER, { name: `${PREFIX}missing`, image: `${PREFIX}absent:1` }),
            /image "dormer-test-plugins-absent:1" is not present locally and could not be pulled/,
        );
        assert.strictEqual(exists("container", `${PREFIX}missing`), false);
    });
});
