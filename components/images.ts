import * as fs from "fs";
import * as path from "path";
import * as esbuild from "esbuild";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { contextHash } from "./context-hash";

const repoRoot = path.resolve(__dirname, "..");

/**
 * Image IDs of everything the platform runs, all built from this repository. Containers name their image by
 * ID: that is what Docker reports back on refresh, so a name would read as drift.
 */
export interface PlatformImages {
  supervisor: pulumi.Output<string>;
  gateway: pulumi.Output<string>;
  redis: pulumi.Output<string>;
  tenantApp: pulumi.Output<string>;
  fence: pulumi.Output<string>;
}

/** The bundle this process has written: every batch of a large `up` runs the program again. */
let bundled: string | undefined;

/**
 * The supervisor ships as one bundled file, so its image needs only Debian's nodejs and no npm at build
 * time. The bundle is written under .dormer/build, outside the sources, once per process: the batches of
 * one `up` must build the same image, and each esbuild run is a process of ~150 MB beside the CLI and the
 * engine (docs/BENCHMARKS.md).
 */
function supervisorContext(): string {
  if (bundled) return bundled;
  const out = path.join(repoRoot, ".dormer", "build", "supervisor");
  fs.mkdirSync(out, { recursive: true });
  esbuild.buildSync({
    entryPoints: [path.join(repoRoot, "runtime", "main.ts")],
    outfile: path.join(out, "supervisor.js"),
    bundle: true,
    platform: "node",
    target: "node18",
    // Optional native speed-ups of the Docker client's ssh transport, loaded only if present: never bundled.
    external: ["cpu-features", "*.node"],
    logLevel: "warning",
  });
  fs.copyFileSync(path.join(repoRoot, "runtime", "Dockerfile"), path.join(out, "Dockerfile"));
  bundled = out;
  return out;
}

function build(name: string, prefix: string, context: string, baseImage: string, parent: pulumi.Resource): pulumi.Output<string> {
  const image = new docker.Image(
    `${name}-image`,
    {
      imageName: `${prefix}-${name}:${contextHash(context, [baseImage])}`,
      build: { context, dockerfile: path.join(context, "Dockerfile"), args: { BASE_IMAGE: baseImage } },
      skipPush: true,
    },
    { parent },
  );
  // The RemoteImage finds the freshly built image locally and reports its ID; a new content hash gives a new
  // name, so a rebuilt image gives a new ID and the containers running it are replaced.
  const local = new docker.RemoteImage(`${name}-local`, { name: image.imageName, keepLocally: true }, { parent });
  return local.imageId;
}

export function buildImages(prefix: string, baseImage: string, parent: pulumi.Resource): PlatformImages {
  return {
    supervisor: build("supervisor", prefix, supervisorContext(), baseImage, parent),
    gateway: build("gateway", prefix, path.join(repoRoot, "components", "images", "gateway"), baseImage, parent),
    redis: build("redis", prefix, path.join(repoRoot, "components", "images", "redis"), baseImage, parent),
    tenantApp: build("tenant-app", prefix, path.join(repoRoot, "runtime", "tenant-app"), baseImage, parent),
    fence: build("fence", prefix, path.join(repoRoot, "components", "images", "fence"), baseImage, parent),
  };
}
