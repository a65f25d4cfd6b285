import Docker from "dockerode";
import { docker, orUndefined } from "./client";

/**
 * The image, pulled only when it is not already here. Offline machines have no registry, so the usual
 * outcome of a missing image is a clear error naming it rather than a long pull timeout.
 */
export async function ensureLocalImage(ref: string): Promise<Docker.ImageInspectInfo> {
    const present = await orUndefined(docker().getImage(ref).inspect());
    if (present !== undefined) {
        return present;
    }
    try {
        const stream = await docker().pull(ref);
        await new Promise<void>((resolve, reject) =>
            docker().modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
        );
    } catch (err) {
        throw new Error(
            `docker stand-in: image "${ref}" is not present locally and could not be pulled ` +
                `(${err instanceof Error ? err.message : String(err)}); build or load it first (docker build / docker load)`,
        );
    }
    return docker().getImage(ref).inspect();
}
