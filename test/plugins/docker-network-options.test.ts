import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import { dockerProvider as p } from "../../scripts/offline/plugins/docker/main";
import { dockerCli, exists, inspect, urn, decision } from "./helpers";

const NETWORK = urn("docker:index/network:Network", "bridged");
// Its own names, not the shared plugin-test prefix: other plugin tests may run beside this one.
const SUFFIX = crypto.randomBytes(4).toString("hex");
const BRIDGE = `dt-pt${SUFFIX}`;

describe("docker stand-in: network driver options against the real engine", function () {
    this.timeout(120_000);
    const name = `dormer-test-netopts-${SUFFIX}`;
    after(() => {
        if (exists("network", name)) dockerCli("network", "rm", name);
    });

    it("creates the network with its driver options: the Linux bridge gets the declared name", async () => {
        const news = { name, internal: true, options: { "com.docker.network.bridge.name": BRIDGE } };
        const checked = await p.check!(NETWORK, {}, news);
        assert.deepStrictEqual(checked.failures, []);
        const created = await p.create!(NETWORK, checked.inputs);
        assert.strictEqual(inspect("network", name).Options["com.docker.network.bridge.name"], BRIDGE);
        assert.deepStrictEqual(created.outs.options, { "com.docker.network.bridge.name": BRIDGE });
        execFileSync("ip", ["link", "show", BRIDGE], { stdio: "ignore" });

        // As upstream: options are ForceNew (a change replaces the network) and Computed (left out, kept).
        assert.deepStrictEqual(decision(await p.diff!(created.id, NETWORK, created.outs, news)), { changes: false, replaces: [], deleteBeforeReplace: false });
        const { options: _options, ...without } = news;
        assert.strictEqual((await p.diff!(created.id, NETWORK, created.outs, without)).changes, false);
        const renamed = { ...news, options: { "com.docker.network.bridge.name": `dt-pu${SUFFIX}` } };
        assert.deepStrictEqual(decision(await p.diff!(created.id, NETWORK, created.outs, renamed)), { changes: true, replaces: ["options"], deleteBeforeReplace: true });

        await p.delete!(created.id, NETWORK, created.outs);
        assert.strictEqual(exists("network", name), false);
    });
});
