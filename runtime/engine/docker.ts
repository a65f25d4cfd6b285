import Docker from "dockerode";
import { LABEL } from "../labels";
import { tenantFromLabels } from "./declared";
import { DeclaredTenant, Engine } from "./engine";

/** The Docker engine, through its API on the local socket. */
export class DockerEngine implements Engine {
  private readonly docker: Docker;

  constructor(
    private readonly stack: string,
    socketPath: string,
  ) {
    this.docker = new Docker({ socketPath });
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  async discover(): Promise<DeclaredTenant[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.stack}=${this.stack}`, `${LABEL.role}=tenant`] },
    });
    return containers.flatMap((c) => {
      const tenant = tenantFromLabels(c.Names[0] ?? "", c.Labels);
      return tenant ? [tenant] : [];
    });
  }
}
