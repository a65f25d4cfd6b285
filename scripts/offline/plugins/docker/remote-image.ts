import { asSet, diffInputs, DiffRules } from "../common/diff";
import { ResourceHandler } from "../common/dispatch";
import { checkInputs, ResourceSpec } from "../common/properties";
import { PropertyBag } from "../common/values";
import { docker, isNotFound, orUndefined } from "./client";
import { ensureLocalImage } from "./local-image";

const spec: ResourceSpec = {
    plugin: "docker stand-in",
    resource: "RemoteImage",
    properties: { name: "string", keepLocally: "boolean", forceRemove: "boolean", pullTriggers: "stringList", triggers: "stringMap" },
    required: ["name"],
};

// resource_docker_image.go: name, pull_triggers and triggers are ForceNew; keep_locally and
// force_remove only change what delete does.
const rules: DiffRules = {
    keys: Object.keys(spec.properties),
    replaceOn: new Set(["name", "pullTriggers", "triggers"]),
    canonical: (b) => ({
        ...b,
        keepLocally: b.keepLocally ?? false,
        forceRemove: b.forceRemove ?? false,
        pullTriggers: asSet(b.pullTriggers as string[] | undefined),
    }),
};

function outputs(inputs: PropertyBag, imageId: string, repoDigests: string[] | undefined): PropertyBag {
    // Images built or loaded locally have no registry digest; the image id is the only content address.
    return { ...inputs, imageId, repoDigest: repoDigests?.[0] ?? imageId };
}

export const remoteImage: ResourceHandler = {
    async check(_olds, news) {
        return checkInputs(spec, news);
    },
    async diff(_id, olds, news) {
        return diffInputs(olds, news, rules);
    },
    async create(inputs) {
        const info = await ensureLocalImage(inputs.name as string);
        // Upstream's id: image id followed by the name.
        return { id: `${info.Id}${String(inputs.name)}`, outs: outputs(inputs, info.Id, info.RepoDigests) };
    },
    async read(id, props) {
        const info = await orUndefined(docker().getImage(props.name as string).inspect());
        return info === undefined ? { id: "", props: {} } : { id, props: outputs(props, info.Id, info.RepoDigests) };
    },
    async update(_id, olds, news) {
        return { outs: { ...news, imageId: olds.imageId, repoDigest: olds.repoDigest } };
    },
    async delete(_id, props) {
        if (props.keepLocally === true) {
            return;
        }
        try {
            await docker().getImage(props.imageId as string).remove({ force: props.forceRemove === true });
        } catch (err) {
            if (!isNotFound(err)) {
                throw err;
            }
        }
    },
};
