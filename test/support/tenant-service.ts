import { tenantLabels } from "../../runtime/engine/declared";
import { DeclaredTenant } from "../../runtime/engine/engine";
import { TENANT_APP_PORT } from "../../runtime/engine/labels";

/**
 * A tenant's service exactly as a swarm stack declares it, for tests and benches that make one without the
 * program: the supervisor's labels on the service, 0 replicas, the tenant app on its own overlay.
 */
export function tenantServiceSpec(stack: string, tenant: DeclaredTenant, image: string, constraints: string[] = []): object {
  return {
    Name: tenant.container,
    Labels: tenantLabels(stack, tenant),
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Env: [`DORMER_TENANT_ID=${tenant.id}`, `PORT=${TENANT_APP_PORT}`, "FILES_DIR=/tmp/files", "DATA_DIR=/tmp/state"],
      },
      Networks: [{ Target: tenant.network }],
      Placement: { Constraints: constraints },
      RestartPolicy: { Condition: "any", Delay: 0 },
    },
    Mode: { Replicated: { Replicas: 0 } },
    EndpointSpec: {},
  };
}
