import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "../../components/platform";
import { PlatformSettings } from "../../components/settings";
import { loadTenantsFile, ValidatedTenants } from "../../components/tenants-file";

interface Declared {
  type: string;
  name: string;
  inputs: Record<string, any>;
  retainOnDelete: boolean;
}

/** Builds the platform under Pulumi's mocks and returns every resource it declared, with its options. */
async function declare(stack: string, extra: Partial<PlatformSettings> = {}, edit?: (t: ValidatedTenants) => void): Promise<Declared[]> {
  const declared: Declared[] = [];
  const retained = new Set<string>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        declared.push({ type: args.type, name: args.name, inputs: args.inputs, retainOnDelete: false });
        const outputs: Record<string, unknown> = { imageId: `sha256:${args.name}`, result: `secret-${args.name}`, base64: "c2VjcmV0", aud: "aud-tag" };
        return { id: `${args.name}-id`, state: { ...outputs, ...args.inputs } };
      },
      call: (args) => ({ ...args.inputs, token: "tunnel-token" }),
    },
    "dormer",
    stack,
    false,
  );
  const settings: PlatformSettings = {
    stack,
    prefix: `dormer-${stack}`,
    baseImage: "debian:bookworm-slim",
    gatewayPort: 8088,
    publicUrl: "http://127.0.0.1:8088",
    tenantsFile: "tenants.yaml",
    rateLimitPerMinute: 60,
    rateLimitBurst: 20,
    maxBodyMb: 10,
    cloudflaredImage: "cloudflare/cloudflared:2024.12.2",
    ...extra,
  };
  const tenants = loadTenantsFile(path.resolve(__dirname, "../../tenants.yaml"));
  edit?.(tenants);
  const platform = new Platform("dormer", { settings, tenants }, {
    transformations: [
      (args) => {
        if (args.opts.retainOnDelete) retained.add(args.name);
        return undefined;
      },
    ],
  });
  await new Promise<void>((resolve) => platform.tenantKeys.apply(() => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 100));
  return declared.map((d) => ({ ...d, retainOnDelete: retained.has(d.name) }));
}

/** Inputs that hold a secret arrive wrapped in the engine's secret envelope; the shape tests look inside. */
const unwrap = (value: any): any =>
  value && typeof value === "object" && "4dabf18193072939515e22adb298388d" in value ? value.value : value;

const find = (all: Declared[], type: string, name: string): Declared => {
  const found = all.find((d) => d.type === type && d.name === name);
  assert.ok(found, `${type} ${name} declared`);
  return found;
};

describe("unit: the platform's shape under mocks", function () {
  this.timeout(60_000);

  describe("local stack", () => {
    let all: Declared[];
    before(async () => {
      all = await declare("local");
    });

    it("gives a free-plan tenant its plan's memory and CPU, created asleep", () => {
      const c = find(all, "docker:index/container:Container", "globex");
      assert.equal(c.inputs.memory, 256);
      assert.equal(c.inputs.cpus, "0.25");
      assert.equal(c.inputs.start, false);
      assert.equal(c.inputs.mustRun, false);
      assert.equal(c.inputs.restart, "unless-stopped");
    });

    it("puts a free-plan tenant alone on its own internal network, with no published ports", () => {
      const net = find(all, "docker:index/network:Network", "globex-net");
      assert.equal(net.inputs.internal, true);
      const c = find(all, "docker:index/container:Container", "globex");
      assert.deepEqual(c.inputs.networksAdvanced.map((n: { name: string }) => n.name), ["dormer-local-tenant-globex-net"]);
      assert.equal(c.inputs.ports, undefined);
    });

    it("gives an egress plan's tenant a network that is not internal", () => {
      assert.equal(find(all, "docker:index/network:Network", "acme-net").inputs.internal, false);
    });

    it("keeps every tenant volume when the tenant is deleted", () => {
      for (const id of ["acme", "globex", "initech"]) {
        for (const kind of ["files", "data"]) assert.equal(find(all, "docker:index/volume:Volume", `${id}-${kind}`).retainOnDelete, true);
      }
    });

    it("applies a tenant's override on top of its plan", () => {
      assert.equal(find(all, "docker:index/container:Container", "initech").inputs.memory, 512);
    });

    it("runs the default tenant app as a non-root user with a curl-free health check", () => {
      const c = find(all, "docker:index/container:Container", "acme");
      assert.equal(c.inputs.user, "10001:10001");
      assert.deepEqual(c.inputs.healthcheck.tests, ["CMD", "node", "/app/healthcheck.js"]);
    });

    it("labels each tenant so the supervisor can discover it without a restart", () => {
      const labels = Object.fromEntries(
        find(all, "docker:index/container:Container", "acme").inputs.labels.map((l: { label: string; value: string }) => [l.label, l.value]),
      );
      assert.equal(labels["dormer.tenant"], "acme");
      assert.equal(labels["dormer.role"], "tenant");
      assert.equal(labels["dormer.stack"], "local");
      assert.equal(labels["dormer.members"], "@acme.com,wile.e@coyote.dev");
      assert.match(labels["dormer.access-key-sha256"], /^[0-9a-f]{64}$/);
    });

    it("publishes the gateway on 127.0.0.1 only", () => {
      const g = find(all, "docker:index/container:Container", "gateway");
      assert.deepEqual(g.inputs.ports, [{ internal: 8080, external: 8088, ip: "127.0.0.1", protocol: "tcp" }]);
    });

    it("declares no Cloudflare resources", () => {
      assert.equal(all.filter((d) => d.type.startsWith("cloudflare:")).length, 0);
    });
  });

  describe("a tenant with its own image", () => {
    it("runs that image by ID, without the default app's user and health check", async () => {
      const all = await declare("local", {}, (t) => {
        t.tenants.find((x) => x.id === "initech")!.image = "registry.example.com/initech/tps:1.4";
      });
      assert.equal(find(all, "docker:index/remoteImage:RemoteImage", "initech-image").inputs.name, "registry.example.com/initech/tps:1.4");
      const c = find(all, "docker:index/container:Container", "initech");
      assert.equal(c.inputs.image, "sha256:initech-image");
      assert.equal(c.inputs.user, undefined);
      assert.equal(c.inputs.healthcheck, undefined);
      assert.deepEqual(c.inputs.capabilities, { drops: ["ALL"] });
    });
  });

  describe("prod stack", () => {
    it("declares the tunnel, its config, DNS record, Access application and cloudflared", async () => {
      const all = await declare("prod", {
        cloudflare: {
          accountId: "acc",
          zoneId: "zone",
          hostname: "dormer.example.com",
          accessTeamDomain: "example.cloudflareaccess.com",
          accessAllowedEmailDomains: ["example.com"],
        },
      });
      const types = new Set(all.map((d) => d.type));
      for (const t of [
        "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared",
        "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
        "cloudflare:index/dnsRecord:DnsRecord",
        "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication",
      ]) {
        assert.ok(types.has(t), `${t} declared`);
      }
      const config = find(all, "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig", "tunnel-config");
      assert.equal(config.inputs.config.ingresses[0].hostname, "dormer.example.com");
      assert.equal(config.inputs.config.ingresses[0].service, "http://dormer-prod-gateway:8080");
      const supervisor = find(all, "docker:index/container:Container", "supervisor");
      const envs = unwrap(supervisor.inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_IDENTITY=cloudflare-access"));
      assert.ok(envs.includes("DORMER_ACCESS_AUDIENCE=aud-tag"));
      assert.equal(find(all, "docker:index/remoteImage:RemoteImage", "tunnel-cloudflared-image").inputs.name, "cloudflare/cloudflared:2024.12.2");
      assert.equal(find(all, "docker:index/container:Container", "tunnel-cloudflared").inputs.image, "sha256:tunnel-cloudflared-image");
    });
  });
});
