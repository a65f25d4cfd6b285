import * as provider from "@pulumi/pulumi/provider";
import { diffInputs } from "../common/diff";
import { ResourceHandler } from "../common/dispatch";
import { checkInputs, ResourceSpec } from "../common/properties";
import { PropertyBag, unwrapBag } from "../common/values";

/**
 * The random resources share one lifecycle upstream (terraform-provider-random): every argument has
 * RequiresReplace, so a value is generated once at create and kept until some input changes. Read has
 * nothing to ask of the outside world and returns the state as stored.
 */
export interface RandomResource {
    readonly spec: ResourceSpec;
    /** Inputs with upstream defaults filled in, in the form stored as outputs and compared by diff. */
    canonical(inputs: PropertyBag): PropertyBag;
    /** Extra validation beyond types, as failures (e.g. length smaller than the sum of minimums). */
    validate(inputs: PropertyBag): provider.CheckFailure[];
    generate(inputs: PropertyBag): { id: string; outs: PropertyBag };
}

export function randomHandler(r: RandomResource): ResourceHandler {
    const rules = {
        keys: Object.keys(r.spec.properties),
        replaceOn: new Set(Object.keys(r.spec.properties)),
        canonical: r.canonical,
    };
    return {
        async check(_olds, news) {
            const result = checkInputs(r.spec, news);
            const failures = [...(result.failures ?? [])];
            if (failures.length === 0) {
                failures.push(...r.validate(r.canonical(unwrapBag(news))));
            }
            return { inputs: result.inputs, failures };
        },
        async diff(_id, olds, news) {
            return diffInputs(olds, news, rules);
        },
        async create(inputs) {
            const { id, outs } = r.generate(r.canonical(inputs));
            return { id, outs };
        },
        async read(id, props) {
            return { id, props };
        },
        async update() {
            throw new Error(`${r.spec.plugin}: ${r.spec.resource} has no in-place update: every input replaces it`);
        },
        async delete() {
            // Nothing exists outside the state.
        },
    };
}
