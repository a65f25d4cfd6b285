import * as crypto from "crypto";
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

/** The bundle this process has written or found fresh: every batch of a large `up` runs the program again. */
let bundled: string | undefined;

/**
 * Where the bundle records the files it was made of, each with a hash of its contents: beside the image's
 * build context, not in it, so that the image's tag stays a hash of what the image holds.
 */
const inputsFile = (out: string) => `${out}.inputs.json`;
/** The record's entry for the esbuild that made the bundle, beside the files' paths. */
const ESBUILD = "esbuild version";

function fileHash(file: string): string | undefined {
  try {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}

/** True when every file the last bundle was made of (esbuild's own list) is as it was then. */
function bundleFresh(out: string): boolean {
  let inputs: Record<string, string>;
  try {
    inputs = JSON.parse(fs.readFileSync(inputsFile(out), "utf8")) as Record<string, string>;
  } catch {
    return false;
  }
  const { [ESBUILD]: version, ...files } = inputs;
  const names = Object.keys(files);
  return version === esbuild.version && names.length > 0 && fs.existsSync(path.join(out, "supervisor.js")) && names.every((f) => fileHash(path.join(repoRoot, f)) === files[f]);
}

/**
 * The supervisor ships as one bundled file, so its image needs only Debian's nodejs and no npm at build
 * time. The bundle is written under .dormer/build, outside the sources, and only when one of the files it is
 * made of changed: each esbuild run is a process of 130–200 MB beside the CLI and the engine, at the start of
 * every preview, up and batch (docs/BENCHMARKS.md).
 */
export function supervisorContext(): string {
  if (bundled) return bundled;
  const out = path.join(repoRoot, ".dormer", "build", "supervisor");
  if (!bundleFresh(out)) {
    fs.mkdirSync(out, { recursive: true });
    fs.rmSync(inputsFile(out), { force: true });
    const { metafile } = esbuild.buildSync({
      entryPoints: [path.join(repoRoot, "runtime", "main.ts")],
      outfile: path.join(out, "supervisor.js"),
      bundle: true,
      platform: "node",
      target: "node18",
      // Optional native speed-ups of the Docker client's ssh transport, loaded only if present: never bundled.
      external: ["cpu-features", "*.node"],
      logLevel: "warning",
      metafile: true,
      absWorkingDir: repoRoot,
    });
    // This file too (it holds the bundle's options; named by its source path, as the CLI runs it bundled) and
    // esbuild's version: either changes the bundle.
    const made = [...Object.keys(metafile.inputs), "components/images.ts"];
    const inputs = { ...Object.fromEntries(made.map((f) => [f, fileHash(path.join(repoRoot, f)) ?? ""])), [ESBUILD]: esbuild.version };
    fs.writeFileSync(inputsFile(out), `${JSON.stringify(inputs)}\n`);
  }
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
