import Docker from "dockerode";

let client: { host: string | undefined; docker: Docker } | undefined;

/**
 * Like the official plugin without `docker:host` config: the engine at DOCKER_HOST if set, else the local socket.
 * Provider-level config never reaches a Node provider (server.js Configure drops the variables), so a
 * non-default `docker:host` cannot be detected here; point DOCKER_HOST at the engine instead. Read at each call
 * rather than once: a plugin process's environment never changes, but tests drive the provider in their own
 * process and point DOCKER_HOST at a private engine for some of their files.
 */
export function docker(): Docker {
    const host = process.env.DOCKER_HOST;
    if (client === undefined || client.host !== host) {
        client = { host, docker: new Docker() };
    }
    return client.docker;
}

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

/**
 * dockerode prefixes the daemon's message with its own guess per status code, such as "(HTTP code 404) driver
 * not found - " for every 404 of a network create, even when the daemon said the address pools are exhausted.
 * Users get what the daemon said, as the docker CLI and the official plugin print it.
 */
export function daemonError(err: unknown): unknown {
    const json = typeof err === "object" && err !== null ? (err as { json?: unknown }).json : undefined;
    const said = typeof json === "string" ? json : (json as { message?: unknown } | undefined)?.message;
    if (typeof said !== "string" || said.trim() === "") {
        return err;
    }
    return Object.assign(new Error(`Error response from daemon: ${said.trim()}`), { statusCode: (err as { statusCode?: number }).statusCode });
}
