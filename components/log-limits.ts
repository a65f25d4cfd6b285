// How much disk each declared container's logs may take. Docker's default json-file driver never rotates,
// and the gateway writes a line per request, so without these a busy host fills its disk with logs.
import * as pulumi from "@pulumi/pulumi";

export interface LogLimits {
  /** Size of one log file before Docker rotates it, in MB. */
  maxSizeMb: number;
  /** Files kept per container, the one being written included. */
  maxFiles: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxSizeMb: 10, maxFiles: 3 };

function wholeNumber(value: unknown, key: string, min: number, max: number): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`dormer:${key}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** dormer:logMaxSizeMb and dormer:logMaxFiles as a stack's config holds them; absent means the default. */
export function logLimitsFrom(maxSizeMb: unknown, maxFiles: unknown): LogLimits {
  return {
    maxSizeMb: maxSizeMb === undefined ? DEFAULT_LOG_LIMITS.maxSizeMb : wholeNumber(maxSizeMb, "logMaxSizeMb", 1, 10_240),
    maxFiles: maxFiles === undefined ? DEFAULT_LOG_LIMITS.maxFiles : wholeNumber(maxFiles, "logMaxFiles", 1, 100),
  };
}

/**
 * Gives every container declared under the component it is attached to the same bounded json-file logs,
 * so a container added later cannot be forgotten.
 */
export function boundLogs(limits: LogLimits): pulumi.ResourceTransformation {
  return (args) => {
    if (args.type !== "docker:index/container:Container") return undefined;
    const logOpts = { "max-size": `${limits.maxSizeMb}m`, "max-file": String(limits.maxFiles) };
    return { props: { ...args.props, logDriver: "json-file", logOpts }, opts: args.opts };
  };
}
