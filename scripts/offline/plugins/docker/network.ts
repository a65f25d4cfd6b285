import { asSet, diffInputs, DiffRules } from "../common/diff";
import { ResourceHandler } from "../common/dispatch";
import { checkInputs, ResourceSpec } from "../common/properties";
import { PropertyBag } from "../common/values";
import { withAutoName, withReplaceOrder } from "./autoname";
import { daemonError, docker, isNotFound, orUndefined } from "./client";
import { labelSpec, labelsToMap, mapToLabels } from "./labels";

const spec: ResourceSpec = {
    plugin: "docker stand-in",
    resource: "Network",
    properties: {
        name: "string",
        driver: "string",
        internal: "boolean",
        attachable: "boolean",
        ipv6: "boolean",
        labels: labelSpec,
        options: "stringMap",
        ipamDriver: "string",
        ipamConfigs: { list: { subnet: "string", gateway: "string", ipRange: "string", auxAddress: "stringMap" } },
    },
    required: ["name"],
};

interface IpamConfig {
    subnet?: string;
    gateway?: string;
    ipRange?: string;
    auxAddress?: Record<string, string>;
}

// resource_docker_network.go has no Update: every argument is ForceNew. driver, options, internal and
// ipam_config are also Computed (left out, the engine's value is kept).
const rules: DiffRules = {
    keys: Object.keys(spec.properties),
    replaceOn: new Set(Object.keys(spec.properties)),
    computed: new Set(["driver", "options", "internal", "ipamConfigs"]),
    canonical: (b) => ({
        ...b,
        attachable: b.attachable ?? false,
        ipv6: b.ipv6 ?? false,
        ipamDriver: b.ipamDriver ?? "default",
        labels: asSet(b.labels as unknown[] | undefined),
        ipamConfigs: asSet(b.ipamConfigs as unknown[] | undefined),
    }),
};

async function readNetwork(id: string): Promise<PropertyBag | undefined> {
    const info = await orUndefined(docker().getNetwork(id).inspect());
    if (info === undefined) {
        return undefined;
    }
    const ipamConfigs: IpamConfig[] = ((info.IPAM?.Config ?? []) as Record<string, unknown>[]).map((c) => ({
        subnet: c.Subnet as string | undefined,
        gateway: c.Gateway as string | undefined,
        ipRange: c.IPRange as string | undefined,
        auxAddress: c.AuxiliaryAddresses as Record<string, string> | undefined,
    }));
    return {
        name: info.Name,
        driver: info.Driver,
        internal: info.Internal ?? false,
        attachable: info.Attachable ?? false,
        ipv6: info.EnableIPv6 ?? false,
        labels: mapToLabels(info.Labels),
        options: info.Options ?? {},
        ipamDriver: info.IPAM?.Driver ?? "default",
        ipamConfigs,
        scope: info.Scope,
    };
}

export const network: ResourceHandler = {
    async check(olds, news, logicalName) {
        return checkInputs(spec, withAutoName(logicalName, olds, news));
    },
    async diff(_id, olds, news) {
        return withReplaceOrder(news, diffInputs(olds, news, rules));
    },
    async create(inputs) {
        const ipam = (inputs.ipamConfigs as IpamConfig[] | undefined) ?? [];
        const created = await docker().createNetwork({
            Name: inputs.name as string,
            CheckDuplicate: true,
            Driver: (inputs.driver as string | undefined) ?? "bridge",
            Internal: (inputs.internal as boolean | undefined) ?? false,
            Attachable: (inputs.attachable as boolean | undefined) ?? false,
            EnableIPv6: (inputs.ipv6 as boolean | undefined) ?? false,
            Labels: labelsToMap(inputs.labels),
            Options: (inputs.options as Record<string, string> | undefined) ?? {},
            IPAM: {
                Driver: (inputs.ipamDriver as string | undefined) ?? "default",
                Config: ipam.map((c) => ({ Subnet: c.subnet, Gateway: c.gateway, IPRange: c.ipRange, AuxiliaryAddresses: c.auxAddress })),
            },
        }).catch((err: unknown) => {
            throw new Error(`docker stand-in: cannot create network ${String(inputs.name)}: ${(daemonError(err) as Error).message}`);
        });
        const outs = await readNetwork(created.id);
        if (outs === undefined) {
            throw new Error(`docker stand-in: network ${String(inputs.name)} vanished right after it was created`);
        }
        return { id: created.id, outs };
    },
    async read(id) {
        const props = await readNetwork(id);
        return props === undefined ? { id: "", props: {} } : { id, props };
    },
    async update() {
        throw new Error("docker stand-in: Network has no in-place update: every input replaces it (as upstream)");
    },
    async delete(id) {
        await removeNetwork(id);
    },
};

/**
 * Upstream (resourceDockerNetworkDelete, resource_docker_network_funcs.go) removes in a StateChangeConf
 * that treats "has active endpoints" as pending and tries again, for up to 30 s: a container that is
 * leaving the network (one the program does not know, attached at run time) does not fail the delete. Any
 * other error fails at once. Upstream also waits 2 s before its first try and at least 5 s between tries;
 * tries here start at once and come faster, which only ever finds a network free sooner.
 */
const REMOVE_TIMEOUT_MS = 30_000;
const REMOVE_RETRY_MS = 250;

async function removeNetwork(id: string): Promise<void> {
    const deadline = Date.now() + REMOVE_TIMEOUT_MS;
    for (;;) {
        try {
            await docker().getNetwork(id).remove();
            return;
        } catch (err) {
            if (isNotFound(err)) {
                return;
            }
            if (!/has active endpoints/.test(String((err as Error).message)) || Date.now() >= deadline) {
                throw daemonError(err);
            }
        }
        await new Promise((r) => setTimeout(r, REMOVE_RETRY_MS));
    }
}
