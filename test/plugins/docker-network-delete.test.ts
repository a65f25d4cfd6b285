import * as assert from "assert";
import * as crypto from "crypto";
import { dockerProvider as p } from "../../scripts/offline/plugins/docker/main";
import { dockerCli, ensureTestImage, exists, TEST_IMAGE, urn } from "./helpers";

const NETWORK = urn("docker:index/network:Network", "busy");
// Its own names, not the shared plugin-test prefix: other plugin tests may run beside this one.
const SUFFIX = crypto.randomBytes(4).toString("hex");

describe("docker stand-in: deleting a network a container is still on, as upstream", function () {
    this.timeout(120_000);
    const name = `dormer-test-netdel-${SUFFIX}`;
    const guest = `dormer-test-netdel-guest-${SUFFIX}`;
    before(ensureTestImage);
    after(() => {
        if (exists("container", guest)) dockerCli("rm", "-f", guest);
        if (exists("network", name)) dockerCli("network", "rm", name);
    });

    const created = async () => {
        const checked = await p.check!(NETWORK, {}, { name, internal: true });
        return p.create!(NETWORK, checked.inputs);
    };

    it("waits while a container attached at run time leaves, then deletes it", async () => {
        const net = await created();
        dockerCli("run", "-d", "--name", guest, "--network", name, TEST_IMAGE);
        const leaving = new Promise<void>((resolve) => setTimeout(() => {
            dockerCli("network", "disconnect", name, guest);
            resolve();
        }, 1500));
        const started = Date.now();
        await p.delete!(net.id, NETWORK, net.outs);
        await leaving;
        assert.strictEqual(exists("network", name), false);
        assert.ok(Date.now() - started >= 1400, "it waited for the container to leave");
        dockerCli("rm", "-f", guest);
    });

    it("fails naming the active endpoints once a container stays on past upstream's 30 s", async function () {
        this.timeout(90_000);
        const net = await created();
        dockerCli("run", "-d", "--name", guest, "--network", name, TEST_IMAGE);
        const started = Date.now();
        await assert.rejects(p.delete!(net.id, NETWORK, net.outs), /has active endpoints/);
        assert.ok(Date.now() - started >= 30_000);
        assert.strictEqual(exists("network", name), true);
    });
});
