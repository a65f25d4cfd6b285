import Docker from "dockerode";

/** The mounts a container and a service's task declare alike: the part of upstream's `mounts` block the stand-in serves. */
export const mountSpec = {
    list: {
        type: "string",
        target: "string",
        source: "string",
        readOnly: "boolean",
        tmpfsOptions: { object: { sizeBytes: "number", mode: "number" } },
    },
} as const;

export interface Mount {
    type: string;
    target: string;
    source?: string;
    readOnly?: boolean;
    tmpfsOptions?: { sizeBytes?: number; mode?: number };
}

/** The declared mounts as the engine takes them, for a container's HostConfig and a task's ContainerSpec. */
export function mountsToApi(mounts: Mount[] | undefined): Docker.MountSettings[] {
    return (mounts ?? []).map((m) => ({
        Type: m.type as Docker.MountType,
        Target: m.target,
        Source: m.source ?? "",
        ReadOnly: m.readOnly ?? false,
        // The engine treats 0 as "not set" for both, so an absent option and 0 mean the same.
        ...(m.tmpfsOptions === undefined ? {} : { TmpfsOptions: { SizeBytes: m.tmpfsOptions.sizeBytes ?? 0, Mode: m.tmpfsOptions.mode ?? 0 } }),
    }));
}
