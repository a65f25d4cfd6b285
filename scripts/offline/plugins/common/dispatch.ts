import * as provider from "@pulumi/pulumi/provider";
import { DetailedDiffResult } from "./diff";
import { PropertyBag, unwrapBag } from "./values";

/**
 * One resource type of a stand-in plugin. Every method but `check` receives inputs and state with
 * secrets already unwrapped; `check` gets the new inputs as sent so it can hand them back unchanged.
 */
export interface ResourceHandler {
    check(olds: PropertyBag, news: PropertyBag, logicalName: string): Promise<provider.CheckResult>;
    diff(id: string, olds: PropertyBag, news: PropertyBag): Promise<DetailedDiffResult>;
    create(inputs: PropertyBag): Promise<provider.CreateResult>;
    read(id: string, props: PropertyBag): Promise<provider.ReadResult>;
    update(id: string, olds: PropertyBag, news: PropertyBag): Promise<provider.UpdateResult>;
    delete(id: string, props: PropertyBag): Promise<void>;
}

/** `urn:pulumi:stack::project::parent$child$docker:index/container:Container::name` -> type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    if (parts.length < 4) {
        throw new Error(`malformed URN ${urn}`);
    }
    const types = parts[2].split("$");
    return { type: types[types.length - 1], name: parts.slice(3).join("::") };
}

/**
 * The provider server turns results into protobuf Structs, which reject `undefined` ("Unexpected struct
 * type"); an absent property must be absent, not undefined.
 */
function plain<T>(value: T): T {
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function makeProvider(
    plugin: string,
    version: string,
    handlers: Readonly<Record<string, ResourceHandler>>,
): provider.Provider {
    const handlerFor = (urn: string): ResourceHandler => {
        const { type } = parseUrn(urn);
        const handler = handlers[type];
        if (handler === undefined) {
            const known = Object.keys(handlers).join(", ");
            throw new Error(`${plugin}: resource type ${type} is not implemented by the offline stand-in (implemented: ${known})`);
        }
        return handler;
    };
    return {
        version,
        check: async (urn, olds, news) => {
            const result = await handlerFor(urn).check(unwrapBag(olds), news ?? {}, parseUrn(urn).name);
            return { ...result, inputs: plain(result.inputs) };
        },
        diff: async (id, urn, olds, news) => handlerFor(urn).diff(id, unwrapBag(olds), unwrapBag(news)),
        create: async (urn, inputs) => {
            const result = await handlerFor(urn).create(unwrapBag(inputs));
            return { ...result, outs: plain(result.outs) };
        },
        read: async (id, urn, props) => {
            const result = await handlerFor(urn).read(id, unwrapBag(props));
            return { ...result, props: plain(result.props), inputs: plain(result.inputs) };
        },
        update: async (id, urn, olds, news) => {
            const result = await handlerFor(urn).update(id, unwrapBag(olds), unwrapBag(news));
            return { ...result, outs: plain(result.outs) };
        },
        delete: async (id, urn, props) => handlerFor(urn).delete(id, unwrapBag(props)),
    };
}
