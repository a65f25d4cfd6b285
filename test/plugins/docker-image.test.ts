import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dockerProvider as p } from "../../scripts/offline/plugins/docker/main";
import { cleanup, ensureTestImage, inspect, PREFIX, TEST_IMAGE, urn, decision } from "./helpers";

const IMAGE = urn("docker:index/image:Image", "app");
const REMOTE = urn("docker:index/remoteImage:RemoteImage", "base");

describe("docker stand-in: Image and RemoteImage against the real engine", function () {
    let dir: string;
    const imageName = `${PREFIX}app:1`;

    before(function () {
        this.timeout(600_000);
        cleanup();
        ensureTestImage();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
        fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM ${TEST_IMAGE}\nARG GREETING=hi\nCOPY app.js /app/app.js\nRUN echo $GREETING > /app/greeting\n`);
        fs.writeFileSync(path.join(dir, "app.js"), "console.log(1)\n");
        fs.writeFileSync(path.join(dir, ".dockerignore"), "notes/\n*.log\n");
        fs.mkdirSync(path.join(dir, "notes"));
        fs.writeFileSync(path.join(dir, "notes", "todo.md"), "one\n");
    });
    after(() => {
        cleanup();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const args = () => ({ imageName, skipPush: true, buildOnPreview: false, build: { context: dir, args: { GREETING: "hello" } } });

    it("builds from a local context; repoDigest is the image id", async () => {
        const checked = await p.check!(IMAGE, {}, args());
        assert.deepStrictEqual(checked.failures ?? [], []);
        const { id, outs } = await p.create!(IMAGE, checked.inputs);
        assert.strictEqual(id, imageName);
        assert.strictEqual(outs.repoDigest, inspect("image", imageName).Id);
        assert.match(outs.repoDigest, /^sha256:[0-9a-f]{64}$/);
        assert.strictEqual(outs.dockerfile, "Dockerfile");
        const again = await p.check!(IMAGE, outs, args());
        assert.deepStrictEqual(decision(await p.diff!(id, IMAGE, outs, again.inputs)), { changes: false, replaces: [] });
    });

    it("rebuilds in place when a context file changes, not when an ignored one does", async () => {
        const before = await p.check!(IMAGE, {}, args());
        const { outs } = await p.create!(IMAGE, before.inputs);
        fs.writeFileSync(path.join(dir, "notes", "todo.md"), "two\n");
        fs.writeFileSync(path.join(dir, "debug.log"), "noise\n");
        const ignored = await p.check!(IMAGE, {}, args());
        assert.strictEqual(ignored.inputs.build.contextDigest, before.inputs.build.contextDigest);
        fs.writeFileSync(path.join(dir, "app.js"), "console.log(2)\n");
        const edited = await p.check!(IMAGE, {}, args());
        assert.notStrictEqual(edited.inputs.build.contextDigest, before.inputs.build.contextDigest);
        assert.deepStrictEqual(decision(await p.diff!(imageName, IMAGE, outs, edited.inputs)), { changes: true, replaces: [] });
        const updated = await p.update!(imageName, IMAGE, outs, edited.inputs);
        assert.notStrictEqual(updated.outs.repoDigest, outs.repoDigest);
    });

    it("refuses to push", async () => {
        const checked = await p.check!(IMAGE, {}, { ...args(), skipPush: false });
        assert.deepStrictEqual(checked.failures!.map((f) => f.property), ["skipPush"]);
    });

    it("uses a RemoteImage already present, and names one that is not", async () => {
        const { outs } = await p.create!(REMOTE, { name: TEST_IMAGE, keepLocally: true });
        assert.strictEqual(outs.imageId, inspect("image", TEST_IMAGE).Id);
        assert.deepStrictEqual(decision(await p.diff!("x", REMOTE, outs, { name: TEST_IMAGE, keepLocally: false })), { changes: true, replaces: [] });
        assert.deepStrictEqual((await p.diff!("x", REMOTE, outs, { name: "other:1", keepLocally: true })).replaces, ["name"]);
        await assert.rejects(p.create!(REMOTE, { name: `${PREFIX}absent:1` }), /dormer-test-plugins-absent:1" is not present locally/);
    });
});
