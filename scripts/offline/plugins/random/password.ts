import { randomInt } from "crypto";
import * as provider from "@pulumi/pulumi/provider";
import { PropertyBag, UNKNOWN } from "../common/values";
import { randomHandler } from "./immutable";

// Character classes and default special set of terraform-provider-random's random_password.
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

function pick(set: string, count: number): string[] {
    return Array.from({ length: count }, () => set[randomInt(set.length)]);
}

/** Fisher-Yates with a CSPRNG, so the guaranteed minimum characters do not sit at the front. */
function shuffle(chars: string[]): string[] {
    for (let i = chars.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    return chars;
}

function canonical(inputs: PropertyBag): PropertyBag {
    // `number` is the deprecated spelling of `numeric`; upstream keeps both in step.
    const numeric = (inputs.numeric ?? inputs.number ?? true) as boolean;
    return {
        length: inputs.length,
        special: inputs.special ?? true,
        upper: inputs.upper ?? true,
        lower: inputs.lower ?? true,
        numeric,
        number: numeric,
        minUpper: inputs.minUpper ?? 0,
        minLower: inputs.minLower ?? 0,
        minNumeric: inputs.minNumeric ?? 0,
        minSpecial: inputs.minSpecial ?? 0,
        overrideSpecial: inputs.overrideSpecial,
        keepers: inputs.keepers,
    };
}

function classes(c: PropertyBag): { set: string; enabled: boolean; min: number }[] {
    const special = typeof c.overrideSpecial === "string" && c.overrideSpecial !== "" ? c.overrideSpecial : SPECIAL;
    return [
        { set: UPPER, enabled: c.upper === true, min: c.minUpper as number },
        { set: LOWER, enabled: c.lower === true, min: c.minLower as number },
        { set: NUMERIC, enabled: c.numeric === true, min: c.minNumeric as number },
        { set: special, enabled: c.special === true, min: c.minSpecial as number },
    ];
}

function validate(c: PropertyBag): provider.CheckFailure[] {
    const failures: provider.CheckFailure[] = [];
    if (c.length === UNKNOWN) {
        return failures;
    }
    const length = c.length as number;
    if (!Number.isInteger(length) || length < 1) {
        failures.push({ property: "length", reason: "random stand-in: RandomPassword length must be an integer of at least 1" });
    }
    const enabled = classes(c).filter((k) => k.enabled);
    const minimums = enabled.reduce((sum, k) => sum + k.min, 0);
    if (minimums > length) {
        failures.push({ property: "length", reason: `random stand-in: RandomPassword length ${length} is smaller than the sum of the minimums (${minimums})` });
    }
    if (enabled.length === 0) {
        failures.push({ property: "special", reason: "random stand-in: RandomPassword needs at least one of upper, lower, numeric, special" });
    }
    return failures;
}

export const randomPassword = randomHandler({
    spec: {
        plugin: "random stand-in",
        resource: "RandomPassword",
        properties: {
            length: "number",
            special: "boolean",
            upper: "boolean",
            lower: "boolean",
            numeric: "boolean",
            number: "boolean",
            minUpper: "number",
            minLower: "number",
            minNumeric: "number",
            minSpecial: "number",
            overrideSpecial: "string",
            keepers: "stringMap",
        },
        required: ["length"],
    },
    canonical,
    validate,
    generate(c) {
        const enabled = classes(c).filter((k) => k.enabled);
        const chars = enabled.flatMap((k) => pick(k.set, k.min));
        const all = enabled.map((k) => k.set).join("");
        chars.push(...pick(all, (c.length as number) - chars.length));
        // bcryptHash is left out: no bcrypt implementation is installed (bcrypt-pbkdf is a different
        // algorithm), and a fake hash would be worse than none.
        return { id: "none", outs: { ...c, result: shuffle(chars).join("") } };
    },
});
