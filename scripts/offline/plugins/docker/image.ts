import * as fs from "fs";
import * as path from "path";
import * as provider from "@pulumi/pulumi/provider";
import { stableJson } from "../common/diff";
import { ResourceHandler } from "../common/dispatch";
import { validateInputs, ResourceSpec } from "../common/properties";
import { containsUnknown, PropertyBag, unwrapBag } from "../common/values";
import { docker } from "./client";
import { contextDigest, contextFiles } from "./image-context";

const spec: ResourceSpec = {
    plugin: "docker stand-in",
    resource: "Image",
    properties: {
        imageName: "string",
        skipPush: "boolean",
        buildOnPreview: "boolean",
        registry: { object: { server: "string", username: "string", password: "string" } },
        build: {
            object: {
                context: "string",
                dockerfile: "string",
                args: "stringMap",
                target: "string",
                platform: "string",
                builderVersion: "string",
                // Added by Check (as upstream does), never by the program.
                contextDigest: "string",
            },
        },
    },
    required: ["imageName"],
};

interface Build {
    context: string;
    /** As given or defaulted: relative to the working directory, like upstream. */
    dockerfile: string;
    args?: Record<string, string>;
    target?: string;
    platform?: string;
    builderVersion?: string;
    contextDigest?: string;
}

/** Upstream defaults (provider/image.go marshalBuildAndApplyDefaults): context ".", dockerfile <context>/Dockerfile. */
function buildOf(inputs: PropertyBag): Build {
    const b = (inputs.build as Partial<Build> | undefined) ?? {};
    const context = b.context ?? ".";
    return { ...b, context, dockerfile: b.dockerfile ?? path.join(context, "Dockerfile") };
}

function dockerfileInContext(b: Build): string {
    const rel = path.relative(path.resolve(b.context), path.resolve(b.dockerfile));
    if (rel.startsWith("..") || path.isAbsolute(rel)) {
        throw new Error(`docker stand-in: Image build.dockerfile ${b.dockerfile} must be inside build.context ${b.context}`);
    }
    return rel.split(path.sep).join("/");
}

function semanticFailures(inputs: PropertyBag): provider.CheckFailure[] {
    const fail = (property: string, reason: string) => [{ property, reason: `docker stand-in: Image ${reason}` }];
    if (inputs.skipPush !== true && !containsUnknown(inputs.skipPush)) {
        return fail("skipPush", "skipPush must be true: the offline stand-in never pushes (there is no registry here)");
    }
    if (inputs.buildOnPreview === true) {
        return fail("buildOnPreview", "buildOnPreview is not implemented by the offline stand-in (it builds on update only)");
    }
    const version = (inputs.build as PropertyBag | undefined)?.builderVersion;
    if (version !== undefined && version !== "BuilderV1" && version !== "BuilderBuildKit") {
        return fail("build.builderVersion", "build.builderVersion must be BuilderV1 or BuilderBuildKit");
    }
    return [];
}

/** Inputs as sent plus build.contextDigest, or failures when the context cannot be read. */
function withDigest(inputs: PropertyBag, plain: PropertyBag): { inputs: PropertyBag; failures: provider.CheckFailure[] } {
    if (containsUnknown(plain.build)) {
        return { inputs, failures: [] };
    }
    try {
        const b = buildOf(plain);
        if (!fs.existsSync(b.dockerfile)) {
            return { inputs, failures: [{ property: "build.dockerfile", reason: `docker stand-in: Image could not open dockerfile at ${b.dockerfile}` }] };
        }
        const rel = dockerfileInContext(b);
        const digest = contextDigest(b.context, contextFiles(b.context, rel), { args: b.args, target: b.target, platform: b.platform });
        return { inputs: { ...inputs, build: { ...(inputs.build as PropertyBag | undefined), contextDigest: digest } }, failures: [] };
    } catch (err) {
        return { inputs, failures: [{ property: "build", reason: (err as Error).message }] };
    }
}

/** What diff compares, as upstream: everything but registry credentials (they may rotate freely). */
const COMPARED = ["imageName", "build", "skipPush", "registry"] as const;

function compared(b: PropertyBag, key: (typeof COMPARED)[number]): string {
    return stableJson(key === "registry" ? (b.registry as PropertyBag | undefined)?.server : b[key]);
}

async function build(inputs: PropertyBag): Promise<PropertyBag> {
    const b = buildOf(inputs);
    const rel = dockerfileInContext(b);
    const stream = await docker().buildImage(
        { context: path.resolve(b.context), src: contextFiles(b.context, rel) },
        {
            t: inputs.imageName as string,
            dockerfile: rel,
            buildargs: b.args,
            target: b.target,
            platform: b.platform,
            version: b.builderVersion === "BuilderV1" ? "1" : "2",
        },
    );
    await new Promise<void>((resolve, reject) =>
        docker().modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
            const failed = events?.find((e) => e.error !== undefined);
            if (err || failed) {
                reject(new Error(`docker stand-in: building ${String(inputs.imageName)} failed: ${err?.message ?? failed?.error}`));
            } else {
                resolve();
            }
        }),
    );
    const info = await docker().getImage(inputs.imageName as string).inspect();
    const registry = inputs.registry as PropertyBag | undefined;
    return {
        imageName: inputs.imageName,
        build: inputs.build,
        skipPush: inputs.skipPush,
        buildOnPreview: inputs.buildOnPreview,
        registry: registry && { server: registry.server },
        baseImageName: inputs.imageName,
        context: b.context,
        dockerfile: rel,
        platform: b.platform,
        registryServer: (registry?.server as string | undefined) ?? "",
        // Nothing is pushed, so there is no registry digest; the image id (sha256:...) is the content
        // address that changes whenever the build result does, which is what consumers rely on.
        repoDigest: info.Id,
    };
}

export const image: ResourceHandler = {
    async check(_olds, news) {
        const plain = unwrapBag(news);
        const failures = validateInputs(spec, plain);
        if (failures.length > 0) {
            return { inputs: news, failures };
        }
        const semantic = semanticFailures(plain);
        if (semantic.length > 0) {
            return { inputs: news, failures: semantic };
        }
        return withDigest(news, plain);
    },
    async diff(_id, olds, news) {
        // Upstream's Image never replaces: any change rebuilds in place.
        const diffs = COMPARED.filter((k) => containsUnknown(news[k]) || compared(olds, k) !== compared(news, k));
        const detailedDiff = Object.fromEntries(diffs.map((k) => [k, "update" as const]));
        return { changes: diffs.length > 0 || containsUnknown(news), replaces: [], diffs, detailedDiff };
    },
    async create(inputs) {
        return { id: inputs.imageName as string, outs: await build(inputs) };
    },
    async read(id, props) {
        // As upstream: the image is not reconciled with the engine.
        return { id, props };
    },
    async update(_id, _olds, news) {
        return { outs: await build(news) };
    },
    async delete() {
        // As upstream: destroying the resource leaves the built image in place.
    },
};
