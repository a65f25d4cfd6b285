import * as assert from "assert";
import { SECRET_SIG, SECRET_SIG_KEY, UNKNOWN } from "../../scripts/offline/plugins/common/values";
import { randomProvider } from "../../scripts/offline/plugins/random/main";
import { urn, decision } from "./helpers";

const p = randomProvider;
const PASSWORD = urn("random:index/randomPassword:RandomPassword", "pw");
const BYTES = urn("random:index/randomBytes:RandomBytes", "key");
const ID = urn("random:index/randomId:RandomId", "id");

describe("random stand-in", () => {
    it("generates a password of the requested length and composition", async () => {
        const inputs = { length: 40, minUpper: 5, minLower: 5, minNumeric: 5, minSpecial: 5, overrideSpecial: "-_" };
        const checked = await p.check!(PASSWORD, {}, inputs);
        assert.deepStrictEqual(checked.failures, []);
        const { id, outs } = await p.create!(PASSWORD, checked.inputs);
        assert.strictEqual(id, "none");
        const result = outs.result as string;
        assert.strictEqual(result.length, 40);
        assert.ok((result.match(/[A-Z]/g) ?? []).length >= 5);
        assert.ok((result.match(/[a-z]/g) ?? []).length >= 5);
        assert.ok((result.match(/[0-9]/g) ?? []).length >= 5);
        assert.ok((result.match(/[-_]/g) ?? []).length >= 5);
        assert.match(result, /^[A-Za-z0-9_-]+$/);
    });

    it("leaves out classes that are turned off", async () => {
        const { outs } = await p.create!(PASSWORD, { length: 64, special: false, upper: false });
        assert.match(outs.result, /^[a-z0-9]{64}$/);
    });

    it("keeps the password when the inputs are unchanged, and replaces it when one changes", async () => {
        const inputs = { length: 24, special: false };
        const { outs } = await p.create!(PASSWORD, inputs);
        assert.deepStrictEqual(decision(await p.diff!("none", PASSWORD, outs, inputs)), { changes: false, replaces: [] });
        const read = await p.read!("none", PASSWORD, outs);
        assert.strictEqual(read.props.result, outs.result);
        const changed = await p.diff!("none", PASSWORD, outs, { ...inputs, length: 25 });
        assert.deepStrictEqual(decision(changed), { changes: true, replaces: ["length"] });
        const keepers = await p.diff!("none", PASSWORD, outs, { ...inputs, keepers: { tenant: "acme" } });
        assert.deepStrictEqual(keepers.replaces, ["keepers"]);
    });

    it("accepts secret-wrapped and unknown inputs", async () => {
        const secret = { [SECRET_SIG_KEY]: SECRET_SIG, value: 32 };
        const checked = await p.check!(PASSWORD, {}, { length: secret, keepers: UNKNOWN });
        assert.deepStrictEqual(checked.failures, []);
        assert.deepStrictEqual(checked.inputs.length, secret, "check hands inputs back as sent");
        const { outs } = await p.create!(PASSWORD, { length: secret });
        assert.strictEqual(outs.result.length, 32);
        const diff = await p.diff!("none", PASSWORD, outs, { length: 32, keepers: UNKNOWN });
        assert.deepStrictEqual(diff.replaces, ["keepers"]);
    });

    it("rejects impossible and unimplemented inputs", async () => {
        const short = await p.check!(PASSWORD, {}, { length: 3, minUpper: 2, minNumeric: 2 });
        assert.match(short.failures![0].reason, /smaller than the sum of the minimums/);
        const unknownProp = await p.check!(PASSWORD, {}, { length: 8, shape: "round" });
        assert.deepStrictEqual(unknownProp.failures!.map((f) => f.property), ["shape"]);
        assert.match(unknownProp.failures![0].reason, /RandomPassword property "shape" is not implemented by the offline stand-in/);
        const lenient = await p.check!(PASSWORD, {}, { length: 8, __defaults: [] });
        assert.deepStrictEqual(lenient.failures, []);
    });

    it("generates bytes and ids of the requested length", async () => {
        const bytes = await p.create!(BYTES, { length: 32 });
        assert.strictEqual(Buffer.from(bytes.outs.base64, "base64").length, 32);
        assert.match(bytes.outs.hex, /^[0-9a-f]{64}$/);
        const id = await p.create!(ID, { byteLength: 4, prefix: "t-" });
        assert.match(id.outs.hex, /^t-[0-9a-f]{8}$/);
        assert.strictEqual(BigInt(`0x${id.outs.hex.slice(2)}`).toString(10), id.outs.dec.slice(2));
    });

    it("names an unknown type token in its error", async () => {
        await assert.rejects(p.check!(urn("random:index/randomUuid:RandomUuid", "u"), {}, {}), /randomUuid:RandomUuid is not implemented/);
    });
});
