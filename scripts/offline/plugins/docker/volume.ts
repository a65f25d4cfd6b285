import { asSet, diffInputs, DiffRules } from "../common/diff";
import { ResourceHandler } from "../common/dispatch";
import { checkInputs, ResourceSpec } from "../common/properties";
import { PropertyBag } from "../common/values";
import { withAutoName, withReplaceOrder } from "./autoname";
import { docker, isNotFound, orUndefined } from "./client";
import { labelSpec, labelsToMap, mapToLabels } from "./labels";

const spec: ResourceSpec = {
    plugin: "docker stand-in",
    resource: "Volume",
    properties: { name: "string", driver: "string", driverOpts: "stringMap", labels: labelSpec },
    required: ["name"],
};

// resource_docker_volume.go has no Update: name, driver, driver_opts and labels are all ForceNew;
// driver is Computed.
const rules: DiffRules = {
    keys: Object.keys(spec.properties),
    replaceOn: new Set(Object.keys(spec.properties)),
    computed: new Set(["driver"]),
    canonical: (b) => ({ ...b, labels: asSet(b.labels as unknown[] | undefined) }),
};

async function readVolume(name: string): Promise<PropertyBag | undefined> {
    const info = await orUndefined(docker().getVolume(name).inspect());
    if (info === undefined) {
        return undefined;
    }
    return {
        name: info.Name,
        driver: info.Driver,
        driverOpts: info.Options ?? undefined,
        labels: mapToLabels(info.Labels),
        mountpoint: info.Mountpoint,
    };
}

export const volume: ResourceHandler = {
    async check(olds, news, logicalName) {
        return checkInputs(spec, withAutoName(logicalName, olds, news));
    },
    async diff(_id, olds, news) {
        return withReplaceOrder(news, diffInputs(olds, news, rules));
    },
    async create(inputs) {
        const created = await docker().createVolume({
            Name: inputs.name as string,
            Driver: (inputs.driver as string | undefined) ?? "local",
            DriverOpts: (inputs.driverOpts as Record<string, string> | undefined) ?? {},
            Labels: labelsToMap(inputs.labels),
        });
        const outs = await readVolume(created.name);
        if (outs === undefined) {
            throw new Error(`docker stand-in: volume ${created.name} vanished right after it was created`);
        }
        // Upstream's id is the volume name.
        return { id: created.name, outs };
    },
    async read(id) {
        const props = await readVolume(id);
        return props === undefined ? { id: "", props: {} } : { id, props };
    },
    async update() {
        throw new Error("docker stand-in: Volume has no in-place update: every input replaces it (as upstream)");
    },
    async delete(id) {
        try {
            await docker().getVolume(id).remove();
        } catch (err) {
            if (!isNotFound(err)) {
                throw err;
            }
        }
    },
};
