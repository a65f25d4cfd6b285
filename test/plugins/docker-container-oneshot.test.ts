import * as assert from "assert";
import { dockerProvider as p } from "../../scripts/offline/plugins/docker/main";
import { cleanup, decision, ensureTestImage, inspect, PREFIX, TEST_IMAGE, urn } from "./helpers";

const CONTAINER = urn("docker:index/container:Container", "oneshot");

/** Lists the processes it sees and prints the uploaded file, so one run shows the PID namespace and the upload. */
const REPORT = [
    "node",
    "-e",
    "const fs=require('fs');" +
        "const cmds=fs.readdirSync('/proc').filter(d=>/^[0-9]+$/.test(d)).map(d=>{try{return fs.readFileSync('/proc/'+d+'/cmdline','utf8')}catch{return ''}});" +
        "console.log(cmds.some(c=>c.includes('long-running'))?'sees the other container':'sees only itself');" +
        "process.stdout.write(fs.readFileSync('/srv/in/conf.txt','utf8'));" +
        "console.error('mode '+(fs.statSync('/srv/in/run.sh').mode&0o777).toString(8));" +
        "process.exit(Number(process.env.EXIT||0))",
];

describe("docker stand-in: one-shot containers (uploads, pidMode, attach, logs) against the real engine", function () {
    this.timeout(120_000);
    const other = `${PREFIX}long`;
    const name = `${PREFIX}oneshot`;
    let otherId: string;

    before(async function () {
        this.timeout(600_000);
        cleanup();
        ensureTestImage();
        otherId = (await p.create!(urn("docker:index/container:Container", "long"), {
            name: other,
            image: TEST_IMAGE,
            command: ["node", "-e", "setInterval(()=>{},1e9)", "long-running"],
        })).id;
    });
    after(cleanup);

    const inputs = (extra: Record<string, unknown> = {}) => ({
        name,
        image: TEST_IMAGE,
        command: REPORT,
        mustRun: false,
        attach: true,
        logs: true,
        pidMode: `container:${otherId}`,
        uploads: [
            { file: "/srv/in/conf.txt", content: "worker_processes 2;\n" },
            { file: "/srv/in/run.sh", contentBase64: Buffer.from("#!/bin/sh\n").toString("base64"), executable: true },
        ],
        ...extra,
    });

    it("uploads files before the start, shares the other container's PID namespace, waits for the end and keeps the logs", async () => {
        const checked = await p.check!(CONTAINER, {}, inputs());
        assert.deepStrictEqual(checked.failures, []);
        const created = await p.create!(CONTAINER, checked.inputs);
        assert.strictEqual(created.outs.exitCode, 0);
        assert.strictEqual(created.outs.containerLogs, "sees the other container\nworker_processes 2;\nmode 744\n");
        assert.strictEqual(created.outs.pidMode, `container:${otherId}`);
        assert.strictEqual(inspect("container", name).HostConfig.PidMode, `container:${otherId}`);
        assert.strictEqual(inspect("container", name).State.Running, false, "attach waited for the run to end");
        const read = await p.read!(created.id, CONTAINER, created.outs);
        assert.deepStrictEqual([read.props.exitCode, read.props.containerLogs, read.props.uploads], [0, created.outs.containerLogs, created.outs.uploads]);
        assert.strictEqual((await p.diff!(created.id, CONTAINER, read.props, inputs())).changes, false);
        await p.delete!(created.id, CONTAINER, created.outs);
    });

    it("records a failed run's exit code without failing the create when mustRun is false, as upstream", async () => {
        const created = await p.create!(CONTAINER, inputs({ envs: ["EXIT=3"] }));
        assert.strictEqual(created.outs.exitCode, 3);
        assert.match(created.outs.containerLogs as string, /worker_processes 2;/);
        await p.delete!(created.id, CONTAINER, created.outs);
    });

    it("follows upstream's schema: uploads and pidMode are ForceNew, attach and logs are not", async () => {
        const olds = { ...inputs(), exitCode: 0 };
        const upload = await p.diff!("x", CONTAINER, olds, inputs({ uploads: [{ file: "/srv/in/conf.txt", content: "worker_processes 4;\n" }] }));
        assert.deepStrictEqual(decision(upload), { changes: true, replaces: ["uploads"], deleteBeforeReplace: true });
        assert.deepStrictEqual((upload as { detailedDiff?: unknown }).detailedDiff, { uploads: "update-replace" });
        const reordered = await p.diff!("x", CONTAINER, olds, inputs({ uploads: [...inputs().uploads].reverse() }));
        assert.strictEqual(reordered.changes, false, "uploads is a set upstream");
        const pid = await p.diff!("x", CONTAINER, olds, inputs({ pidMode: "container:other" }));
        assert.deepStrictEqual((pid as { detailedDiff?: unknown }).detailedDiff, { pidMode: "update-replace" });
        const attach = await p.diff!("x", CONTAINER, olds, inputs({ attach: false, logs: false }));
        assert.deepStrictEqual(decision(attach), { changes: true, replaces: [], deleteBeforeReplace: false });
    });

    it("refuses an upload with both or neither of content and contentBase64, and fields it does not implement", async () => {
        const checked = await p.check!(CONTAINER, {}, inputs({
            uploads: [{ file: "/a", content: "x", contentBase64: "eA==" }, { file: "/b" }, { file: "/c", content: "x", owner: "root" }],
        }));
        assert.deepStrictEqual(checked.failures!.map((f) => f.property).sort(), ["uploads[2].owner"]);
        const values = await p.check!(CONTAINER, {}, inputs({ uploads: [{ file: "/a", content: "x", contentBase64: "eA==" }, { file: "/b" }] }));
        assert.deepStrictEqual(values.failures!.map((f) => f.reason), [
            "docker stand-in: Container uploads[0]: only one of content or contentBase64 can be set",
            "docker stand-in: Container uploads[1]: one of content or contentBase64 must be set",
        ]);
    });
});
