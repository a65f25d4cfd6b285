import { randomBytes as cryptoRandomBytes } from "crypto";
import * as provider from "@pulumi/pulumi/provider";
import { PropertyBag, UNKNOWN } from "../common/values";
import { randomHandler } from "./immutable";

function lengthFailures(resource: string, property: string, v: unknown): provider.CheckFailure[] {
    if (v === UNKNOWN || (Number.isInteger(v) && (v as number) >= 1)) {
        return [];
    }
    return [{ property, reason: `random stand-in: ${resource} ${property} must be an integer of at least 1` }];
}

export const randomBytes = randomHandler({
    spec: {
        plugin: "random stand-in",
        resource: "RandomBytes",
        properties: { length: "number", keepers: "stringMap" },
        required: ["length"],
    },
    canonical: (inputs: PropertyBag) => ({ length: inputs.length, keepers: inputs.keepers }),
    validate: (c) => lengthFailures("RandomBytes", "length", c.length),
    generate(c) {
        const bytes = cryptoRandomBytes(c.length as number);
        return { id: "none", outs: { ...c, base64: bytes.toString("base64"), hex: bytes.toString("hex") } };
    },
});

export const randomId = randomHandler({
    spec: {
        plugin: "random stand-in",
        resource: "RandomId",
        properties: { byteLength: "number", prefix: "string", keepers: "stringMap" },
        required: ["byteLength"],
    },
    canonical: (inputs: PropertyBag) => ({ byteLength: inputs.byteLength, prefix: inputs.prefix, keepers: inputs.keepers }),
    validate: (c) => lengthFailures("RandomId", "byteLength", c.byteLength),
    generate(c) {
        const bytes = cryptoRandomBytes(c.byteLength as number);
        const prefix = (c.prefix as string | undefined) ?? "";
        const b64Url = bytes.toString("base64url");
        // Upstream's id is the unprefixed URL-safe base64; the other encodings carry the prefix.
        return {
            id: b64Url,
            outs: {
                ...c,
                b64Url: prefix + b64Url,
                b64Std: prefix + bytes.toString("base64"),
                hex: prefix + bytes.toString("hex"),
                dec: prefix + BigInt(`0x${bytes.toString("hex")}`).toString(10),
            },
        };
    },
});
