import * as assert from "assert";
import { dockerProvider as p } from "../../scripts/offline/plugins/docker/main";
import { cleanup, exists, inspect, PREFIX, urn, decision } from "./helpers";

const NETWORK = urn("docker:index/network:Network", "net");
// Outside Docker's default pools and outside dormer's default stack pool (10.212.0.0/16), so neither a
// stack nor another test on this host holds it.
const SUBNET = "10.211.255.0/28";

describe("docker stand-in: a network's explicit subnet against the real engine", function () {
    const first = `${PREFIX}ipam-a`;
    const second = `${PREFIX}ipam-b`;
    const news = (name: string) => ({ name, internal: true, ipamConfigs: [{ subnet: SUBNET, gateway: "10.211.255.1" }] });

    before(cleanup);
    after(cleanup);

    it("creates the network on the declared subnet and gateway, and reads back as no change", async () => {
        const checked = await p.check!(NETWORK, {}, news(first));
        assert.deepStrictEqual(checked.failures, []);
        const created = await p.create!(NETWORK, checked.inputs);
        const config = inspect("network", first).IPAM.Config;
        assert.deepStrictEqual(config.map((c: { Subnet: string; Gateway: string }) => [c.Subnet, c.Gateway]), [[SUBNET, "10.211.255.1"]]);
        const read = await p.read!(created.id, NETWORK, created.outs);
        assert.deepStrictEqual(decision(await p.diff!(created.id, NETWORK, read.props!, news(first))), { changes: false, replaces: [], deleteBeforeReplace: false });
        const moved = { ...news(first), ipamConfigs: [{ subnet: "10.211.255.16/28", gateway: "10.211.255.17" }] };
        assert.deepStrictEqual(decision(await p.diff!(created.id, NETWORK, read.props!, moved)), { changes: true, replaces: ["ipamConfigs"], deleteBeforeReplace: true });
    });

    it("reports what the daemon said when the subnet is taken, without dockerode's guess at the cause", async () => {
        await assert.rejects(p.create!(NETWORK, news(second)), (err: Error) => {
            assert.match(err.message, new RegExp(`^docker stand-in: cannot create network ${second}: Error response from daemon: .*overlaps`));
            assert.doesNotMatch(err.message, /HTTP code|driver not found/);
            return true;
        });
        assert.strictEqual(exists("network", second), false);
    });
});
