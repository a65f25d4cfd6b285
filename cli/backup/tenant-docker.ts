import Docker from "dockerode";
import { LABEL } from "../../runtime/engine/labels";
import { TenantVolumes } from "./helper";

/** What the engine holds of one tenant of a stack, found by the labels the program writes. */
export interface TenantOnDocker {
  volumes: TenantVolumes;
  /** The plan its container declares; undefined when it has no container (no longer declared). */
  plan?: string;
}

const docker = new Docker();

export async function tenantOnDocker(stack: string, tenant: string): Promise<TenantOnDocker> {
  const filters = { label: [`${LABEL.stack}=${stack}`, `${LABEL.tenant}=${tenant}`] };
  const { Volumes } = await docker.listVolumes({ filters });
  const volumes: TenantVolumes = {};
  for (const v of Volumes ?? []) {
    const kind = v.Labels?.[LABEL.volume];
    if (kind) volumes[kind] = v.Name;
  }
  const containers = await docker.listContainers({ all: true, filters: { label: [...filters.label, `${LABEL.role}=tenant`] } });
  return { volumes, plan: containers[0]?.Labels[LABEL.plan] };
}

export async function removeVolumes(volumes: TenantVolumes): Promise<void> {
  for (const name of Object.values(volumes)) await docker.getVolume(name).remove();
}
