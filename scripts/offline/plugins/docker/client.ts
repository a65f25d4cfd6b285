import Docker from "dockerode";

// Like the official plugin without `docker:host` config: DOCKER_HOST if set, else the local socket.
// Provider-level config never reaches a Node provider (server.js Configure drops the variables), so a
// non-default `docker:host` cannot be detected here; point DOCKER_HOST at the engine instead.
export const docker = new Docker();

export function isNotFound(err: unknown): boolean {
    return typeof err === "object" && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

/** Runs a Docker lookup and turns "no such object" into undefined, leaving every other error alone. */
export async function orUndefined<T>(lookup: Promise<T>): Promise<T | undefined> {
    try {
        return await lookup;
    } catch (err) {
        if (isNotFound(err)) {
            return undefined;
        }
        throw err;
    }
}
