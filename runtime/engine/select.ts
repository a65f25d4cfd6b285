import { DockerEngine } from "./docker";
import { Engine } from "./engine";
import { SwarmEngine } from "./swarm";

export type Orchestrator = "docker" | "swarm";

/** The engine of the stack's orchestrator (DORMER_ORCHESTRATOR): the one place that knows there are several. */
export function engineFor(orchestrator: Orchestrator, stack: string, socketPath: string, self: string | undefined): Engine {
  switch (orchestrator) {
    case "docker":
      return new DockerEngine(stack, socketPath, self);
    case "swarm":
      return new SwarmEngine(stack, socketPath, self);
  }
}
