// Wire-level conventions of the Pulumi engine as they reach a Node provider (see
// @pulumi/pulumi/provider/server.js: each request Struct goes through toJavaScript unchanged).

/** Signature key the engine uses to mark a secret value: {[SECRET_SIG_KEY]: SECRET_SIG, value}. */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** What an input not yet known (an output of a resource still to be created) looks like during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type PropertyBag = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isSecret(v: unknown): v is { value: unknown } {
    return isRecord(v) && v[SECRET_SIG_KEY] === SECRET_SIG;
}

/**
 * Strips secret wrappers so handlers see plain values. The engine re-marks outputs whose inputs were
 * secret, so nothing is lost by unwrapping here.
 */
export function unwrapSecrets(v: unknown): unknown {
    if (isSecret(v)) {
        return unwrapSecrets(v.value);
    }
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets);
    }
    if (isRecord(v)) {
        const out: Record<string, unknown> = {};
        for (const [k, inner] of Object.entries(v)) {
            out[k] = unwrapSecrets(inner);
        }
        return out;
    }
    return v;
}

export function unwrapBag(bag: unknown): PropertyBag {
    const plain = unwrapSecrets(bag ?? {});
    return isRecord(plain) ? plain : {};
}

/** True when the value, or anything inside it, is still unknown (preview with pending outputs). */
export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) {
        return true;
    }
    if (Array.isArray(v)) {
        return v.some(containsUnknown);
    }
    if (isRecord(v)) {
        return Object.values(v).some(containsUnknown);
    }
    return false;
}

export { isRecord };
