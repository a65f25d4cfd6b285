import * as provider from "@pulumi/pulumi/provider";
import { isRecord, PropertyBag, UNKNOWN, unwrapBag } from "./values";

/**
 * The shape of the properties a stand-in implements. Anything a program sends outside this shape fails
 * Check with a message naming it: a stand-in that silently ignored a property would deploy something
 * different from what the official plugin deploys.
 */
export type FieldSpec =
    | "string"
    | "number"
    | "boolean"
    | "stringList"
    | "stringMap"
    | { list: ObjectSpec }
    | { object: ObjectSpec };

export interface ObjectSpec {
    readonly [property: string]: FieldSpec;
}

export interface ResourceSpec {
    /** How failures name the plugin and the resource, e.g. "docker stand-in" and "Container". */
    readonly plugin: string;
    readonly resource: string;
    readonly properties: ObjectSpec;
    readonly required?: readonly string[];
}

/**
 * Keys the engine or a bridged SDK may add on its own: `__defaults` lists properties whose values a
 * provider defaulted (terraform-bridge convention) and is echoed back by the engine in later Checks.
 */
const ENGINE_KEYS = new Set(["__defaults"]);

function typeMatches(spec: "string" | "number" | "boolean", v: unknown): boolean {
    return typeof v === spec;
}

function checkValue(spec: FieldSpec, v: unknown, path: string, rs: ResourceSpec, out: provider.CheckFailure[]): void {
    if (v === UNKNOWN || v === undefined || v === null) {
        return;
    }
    const bad = (expected: string) =>
        out.push({ property: path, reason: `${rs.plugin}: ${rs.resource} property "${path}" must be ${expected}` });
    if (spec === "string" || spec === "number" || spec === "boolean") {
        if (!typeMatches(spec, v)) {
            bad(`a ${spec}`);
        }
        return;
    }
    if (spec === "stringList") {
        if (!Array.isArray(v)) {
            bad("a list of strings");
            return;
        }
        v.forEach((item, i) => checkValue("string", item, `${path}[${i}]`, rs, out));
        return;
    }
    if (spec === "stringMap") {
        if (!isRecord(v)) {
            bad("a map of strings");
            return;
        }
        for (const [k, item] of Object.entries(v)) {
            checkValue("string", item, `${path}.${k}`, rs, out);
        }
        return;
    }
    if ("list" in spec) {
        if (!Array.isArray(v)) {
            bad("a list of objects");
            return;
        }
        v.forEach((item, i) => checkObject(spec.list, item, `${path}[${i}]`, rs, out));
        return;
    }
    checkObject(spec.object, v, path, rs, out);
}

function checkObject(spec: ObjectSpec, v: unknown, path: string, rs: ResourceSpec, out: provider.CheckFailure[]): void {
    if (v === UNKNOWN) {
        return;
    }
    if (!isRecord(v)) {
        out.push({ property: path, reason: `${rs.plugin}: ${rs.resource} property "${path}" must be an object` });
        return;
    }
    for (const [k, inner] of Object.entries(v)) {
        const innerPath = path === "" ? k : `${path}.${k}`;
        if (path === "" && ENGINE_KEYS.has(k)) {
            continue;
        }
        const innerSpec = spec[k];
        if (innerSpec === undefined) {
            if (inner === undefined || inner === null) {
                continue;
            }
            out.push({
                property: innerPath,
                reason: `${rs.plugin}: ${rs.resource} property "${innerPath}" is not implemented by the offline stand-in`,
            });
            continue;
        }
        checkValue(innerSpec, inner, innerPath, rs, out);
    }
}

/** Every problem with the inputs at once: unimplemented properties, wrong types, missing required ones. */
export function validateInputs(rs: ResourceSpec, inputs: PropertyBag): provider.CheckFailure[] {
    const failures: provider.CheckFailure[] = [];
    checkObject(rs.properties, inputs, "", rs, failures);
    for (const name of rs.required ?? []) {
        if (inputs[name] === undefined || inputs[name] === null) {
            failures.push({ property: name, reason: `${rs.plugin}: ${rs.resource} property "${name}" is required` });
        }
    }
    return failures;
}

/** Check for a stand-in: validate a plain copy, hand the inputs back exactly as sent (secrets stay wrapped). */
export function checkInputs(rs: ResourceSpec, news: PropertyBag): provider.CheckResult {
    return { inputs: news, failures: validateInputs(rs, unwrapBag(news)) };
}
