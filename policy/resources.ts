/** Reading dormer's resources the way the policies need them, from their URN and their inputs. */
import { UnknownValueError } from "@pulumi/policy";
import { LABEL } from "../runtime/engine/labels";

export const CONTAINER = "docker:index/container:Container";

/** `urn:pulumi:ci::dormer::dormer:index:Platform$dormer:index:Tenant$docker:index/container:Container::acme` */
export function parentTypes(urn: string): string[] {
  return (urn.split("::")[2] ?? "").split("$").slice(0, -1);
}

/** A tenant's container: a container whose parent is a Tenant component (named by the tenant id). */
export function isTenantContainer(type: string, urn: string): boolean {
  return type === CONTAINER && parentTypes(urn).pop() === "dormer:index:Tenant";
}

export function isGatewayContainer(type: string, urn: string): boolean {
  return type === CONTAINER && parentTypes(urn).pop() === "dormer:index:Gateway";
}

/** Values not known until apply arrive as undefined; a rule judges only what it can see. */
export function known<T>(value: T | undefined): value is T {
  return value !== undefined && value !== null;
}

export interface PortSpec {
  internal?: number;
  external?: number;
  ip?: string;
}

/** The variables whose values come from stack secrets (runtime/engine/labels.ts). */
export const SECRET_ENV_LABEL = LABEL.secretEnv;

/**
 * A container label's value from its `labels` input ([{label, value}]), when known. During a preview a new
 * tenant's labels hold values not known yet (its key's generation); reading one throws, and a rule that
 * let it escape would be skipped as a whole, so each unknown label is passed over instead.
 */
export function labelValue(props: Record<string, unknown>, label: string): string | undefined {
  let labels: { label?: string; value?: string }[];
  try {
    labels = (props.labels as { label?: string; value?: string }[] | undefined) ?? [];
  } catch (err) {
    if (err instanceof UnknownValueError) return undefined;
    throw err;
  }
  for (let i = 0; i < labels.length; i++) {
    try {
      const l = labels[i];
      if (known(l) && l.label === label) return l.value;
    } catch (err) {
      if (!(err instanceof UnknownValueError)) throw err;
    }
  }
  return undefined;
}
