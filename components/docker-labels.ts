import * as docker from "@pulumi/docker";
import { LABEL, Role } from "../runtime/engine/labels";

/** Docker labels in the provider's list form. */
export function labelList(labels: Record<string, string>): docker.types.input.ContainerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/** The labels of one of the platform's own containers: which stack it belongs to and what it is. */
export function roleLabels(stack: string, role: Role): docker.types.input.ContainerLabel[] {
  return labelList({ [LABEL.stack]: stack, [LABEL.role]: role });
}
