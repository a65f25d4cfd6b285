import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_LOG_LIMITS } from "../../components/log-limits";
import { LABEL } from "../../runtime/engine/labels";
import { Platform } from "../../components/platform";
import { PlatformSettings } from "../../components/settings";
import { subnetPoolFrom } from "../../components/subnets";
import { loadTenantsFile, ValidatedTenants } from "../../components/tenants-file";
import type { RunScope } from "../../components/program";

interface Declared {
  type: string;
  name: string;
  inputs: Record<string, any>;
  retainOnDelete: boolean;
  additionalSecretOutputs: string[];
  ignoreChanges: string[];
}

/** Builds the platform under Pulumi's mocks and returns every resource it declared, with its options. */
async function declare(stack: string, extra: Partial<PlatformSettings> = {}, edit?: (t: ValidatedTenants) => void): Promise<Declared[]> {
  return (await build(stack, extra, edit)).declared;
}

/** The same, with the Platform itself, for a run of the given scope (cli/run-scope.ts). */
async function build(
  stack: string,
  extra: Partial<PlatformSettings> = {},
  edit?: (t: ValidatedTenants) => void,
  scope?: RunScope,
): Promise<{ declared: Declared[]; platform: Platform }> {
  const declared: Declared[] = [];
  const retained = new Set<string>();
  const secretOutputs = new Map<string, string[]>();
  const ignored = new Map<string, string[]>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        declared.push({ type: args.type, name: args.name, inputs: args.inputs, retainOnDelete: false, additionalSecretOutputs: [], ignoreChanges: [] });
        const outputs: Record<string, unknown> = {
          imageId: `sha256:${args.name}`, result: `secret-${args.name}`, base64: "c2VjcmV0", aud: "aud-tag", exitCode: 0, containerLogs: "",
        };
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
    orchestrator: "docker",
    engineSocket: "/var/run/docker.sock",
    prefix: `dormer-${stack}`,
    baseImage: "debian:bookworm-slim",
    gatewayPort: 8088,
    tenantBaseDomain: "localhost",
    publicUrl: "http://127.0.0.1:8088",
    tenantsFile: "tenants.yaml",
    rateLimitPerMinute: 60,
    rateLimitBurst: 20,
    maxBodyMb: 10,
    cloudflaredImage: "cloudflare/cloudflared:2024.12.2",
    subnetPool: subnetPoolFrom({}),
    maxConnections: 20_000,
    supervisorReplicas: 2,
    logs: DEFAULT_LOG_LIMITS,
    diskDriver: "dormer-disk",
    tenantSecrets: { names: {}, values: pulumi.secret<Record<string, Record<string, string>>>({}) },
    ...extra,
  };
  const tenants = loadTenantsFile(path.resolve(__dirname, "../../tenants.yaml"));
  edit?.(tenants);
  const platform = new Platform("dormer", { settings, tenants, scope }, {
    transformations: [
      (args) => {
        if (args.opts.retainOnDelete) retained.add(args.name);
        const secret = (args.opts as pulumi.CustomResourceOptions).additionalSecretOutputs;
        if (secret) secretOutputs.set(args.name, secret);
        if (args.opts.ignoreChanges) ignored.set(args.name, args.opts.ignoreChanges);
        return undefined;
      },
    ],
  });
  await new Promise<void>((resolve) => platform.tenantKeys.apply(() => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    declared: declared.map((d) => ({ ...d, retainOnDelete: retained.has(d.name), additionalSecretOutputs: secretOutputs.get(d.name) ?? [], ignoreChanges: ignored.get(d.name) ?? [] })),
    platform,
  };
}

/** An Output's value under the mocks. */
const valueOf = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply((v) => resolve(v)));

/** Inputs that hold a secret arrive wrapped in the engine's secret envelope; the shape tests look inside. */
const unwrap = (value: any): any =>
  value && typeof value === "object" && "4dabf18193072939515e22adb298388d" in value ? value.value : value;

const find = (all: Declared[], type: string, name: string): Declared => {
  const found = all.find((d) => d.type === type && d.name === name);
  assert.ok(found, `${type} ${name} declared`);
  return found;
};

/** The nginx.conf the gateway-config container delivers to the gateway. */
const nginxConf = (all: Declared[]): string => {
  const uploads = find(all, "docker:index/container:Container", "gateway-config").inputs.uploads as { file: string; content: string }[];
  return uploads.find((u) => u.file === "/etc/dormer/incoming/nginx.conf")!.content;
};

/** A prod stack: a tunnel with Access in front, tenants under their own base domain in a zone of their own. */
const PROD_SETTINGS = {
  cloudflare: {
    accountId: "acc",
    zoneId: "zone",
    tenantZoneId: "apps-zone",
    hostname: "dormer.example.com",
    accessTeamDomain: "example.cloudflareaccess.com",
    accessAllowedEmailDomains: ["example.com"],
  },
  publicUrl: "https://dormer.example.com",
  tenantBaseDomain: "tenants.example.net",
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

    it("tells a tenant's app its extra ports, and no other tenant anything new", () => {
      const acme = unwrap(find(all, "docker:index/container:Container", "acme").inputs.envs) as string[];
      assert.ok(acme.includes("DORMER_PORTS=9090"), acme.join(" "));
      const globex = unwrap(find(all, "docker:index/container:Container", "globex").inputs.envs) as string[];
      assert.ok(!globex.some((e) => e.startsWith("DORMER_PORTS=")), globex.join(" "));
    });

    it("lets each extra port's host name through the gateway to the supervisor", () => {
      const names = /server_name (~\^\[a-z0-9\][^ ;]*)/.exec(nginxConf(all))?.[1];
      assert.ok(names, "the tenants' server_name regex");
      const regex = new RegExp(names.slice(1));
      assert.ok(regex.test("acme--9090.localhost"));
      assert.ok(regex.test("acme.localhost"));
      assert.ok(!regex.test("acme--9090.a.localhost"));
    });

    it("puts a free-plan tenant alone on its own internal network, with no published ports", () => {
      const net = find(all, "docker:index/network:Network", "globex-net");
      assert.equal(net.inputs.internal, true);
      const c = find(all, "docker:index/container:Container", "globex");
      assert.deepEqual(c.inputs.networksAdvanced.map((n: { name: string }) => n.name), ["dormer-local-tenant-globex-net"]);
      assert.equal(c.inputs.ports, undefined);
    });

    it("gives every network its own explicit subnet from the stack's pool, the shared ones first", () => {
      const networks = all.filter((d) => d.type === "docker:index/network:Network");
      const subnets = networks.map((n) => n.inputs.ipamConfigs?.[0]?.subnet as string);
      assert.equal(new Set(subnets).size, networks.length);
      assert.deepEqual(find(all, "docker:index/network:Network", "core-net").inputs.ipamConfigs, [{ subnet: "10.212.0.0/28", gateway: "10.212.0.1" }]);
      assert.deepEqual(find(all, "docker:index/network:Network", "edge-net").inputs.ipamConfigs, [{ subnet: "10.212.0.16/28", gateway: "10.212.0.17" }]);
      for (const s of subnets) assert.match(s, /^10\.212\.\d+\.\d+\/28$/);
    });

    it("gives an egress plan's tenant a network that is not internal", () => {
      assert.equal(find(all, "docker:index/network:Network", "acme-net").inputs.internal, false);
    });

    it("keeps every tenant volume when the tenant is deleted", () => {
      for (const id of ["acme", "globex", "initech"]) {
        for (const kind of ["files", "data"]) assert.equal(find(all, "docker:index/volume:Volume", `${id}-${kind}`).retainOnDelete, true);
      }
    });

    it("fences a tenant's processes and swap: the plan's PID limit, no swap beyond memory", () => {
      const c = find(all, "docker:index/container:Container", "globex");
      assert.equal(c.inputs.memorySwap, 256);
      const labels = Object.fromEntries(c.inputs.labels.map((l: { label: string; value: string }) => [l.label, l.value]));
      assert.equal(labels["dormer.pids-limit"], "256");
    });

    it("runs the default app on a read-only root with a capped /tmp in memory", () => {
      const c = find(all, "docker:index/container:Container", "globex");
      assert.equal(c.inputs.readOnly, true);
      assert.deepEqual(c.inputs.mounts, [{ type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes: 64 * 1024 * 1024, mode: 0o1777 } }]);
    });

    it("applies a tenant's override on top of its plan", () => {
      assert.equal(find(all, "docker:index/container:Container", "initech").inputs.memory, 512);
    });

    it("runs the default tenant app as a non-root user, with no health check for Docker to exec while it is awake", () => {
      const c = find(all, "docker:index/container:Container", "acme");
      assert.equal(c.inputs.user, "10001:10001");
      assert.deepEqual(c.inputs.healthcheck, { tests: ["NONE"] });
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

    it("serves each tenant on its own origin under localhost, and tells the supervisor so", () => {
      const envs = unwrap(find(all, "docker:index/container:Container", "supervisor-1").inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_TENANT_BASE_DOMAIN=localhost"));
      const conf = nginxConf(all);
      assert.ok(conf.includes("server_name ~^[a-z0-9]([a-z0-9-]*[a-z0-9])?\\.localhost$;"), conf);
      assert.match(conf, /server_name 127\.0\.0\.1 localhost;/);
    });

    it("runs two supervisor replicas by default, each its own container and self name, waited for until healthy, and lists both in nginx", async () => {
      const replica = (d: Declared[], i: number) => find(d, "docker:index/container:Container", `supervisor-${i}`).inputs;
      for (const i of [1, 2]) {
        const inputs = replica(all, i);
        assert.equal(inputs.name, `dormer-local-supervisor-${i}`);
        assert.ok((unwrap(inputs.envs) as string[]).includes(`DORMER_SELF_CONTAINER=dormer-local-supervisor-${i}`));
        assert.deepEqual([inputs.wait, inputs.waitTimeout], [true, 120], "the next replica waits until this one is healthy");
        assert.ok((inputs.destroyGraceSeconds as number) > 10, "Docker waits out the drain (DORMER_DRAIN_SECONDS=10) before it kills");
        assert.ok((unwrap(inputs.envs) as string[]).includes("DORMER_DRAIN_SECONDS=10"));
      }
      assert.match(nginxConf(all), /server dormer-local-supervisor-1:8080 max_fails=0;\n\s*server dormer-local-supervisor-2:8080 max_fails=0;/);
      assert.match(nginxConf(all), /proxy_next_upstream error timeout;/);
      const three = await declare("local", { supervisorReplicas: 3 });
      assert.equal(replica(three, 3).name, "dormer-local-supervisor-3");
      assert.match(nginxConf(three), /proxy_next_upstream_tries 3;/);
    });

    it("delivers nginx.conf through the gateway-config container: checked and reloaded in the running gateway's PID namespace", () => {
      const gateway = find(all, "docker:index/container:Container", "gateway");
      const config = find(all, "docker:index/container:Container", "gateway-config");
      assert.deepEqual(unwrap(gateway.inputs.envs), ["DORMER_SUPERVISOR_HOST=dormer-local-supervisor-1 dormer-local-supervisor-2"], "no config in the gateway's own inputs");
      assert.deepEqual(gateway.inputs.volumes, [{ volumeName: "dormer-local-gateway-conf", containerPath: "/etc/dormer/conf", readOnly: true }]);
      assert.deepEqual(config.inputs.volumes, [{ volumeName: "dormer-local-gateway-conf", containerPath: "/etc/dormer/conf" }]);
      assert.equal(config.inputs.pidMode, "container:gateway-id");
      assert.deepEqual(config.inputs.entrypoints, ["/usr/local/bin/dormer-gateway-apply"]);
      assert.deepEqual([config.inputs.attach, config.inputs.logs, config.inputs.mustRun], [true, true, false]);
      assert.match(nginxConf(all), /rate=60r\/m;/);
      const labels = Object.fromEntries((config.inputs.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]));
      assert.equal(labels["dormer.gateway.rateLimitPerMinute"], "60");
      assert.equal(labels["dormer.gateway.supervisorHosts"], JSON.stringify(["dormer-local-supervisor-1", "dormer-local-supervisor-2"]));
      assert.equal(labels["dormer.role"], "gateway-config");
      assert.equal(labels["dormer.gateway.prefix"], undefined, "only what the config is rendered from");
    });

    it("changes only the gateway-config container, never the gateway, when a config setting changes", async () => {
      const changed = await declare("local", { rateLimitPerMinute: 120, maxBodyMb: 20 });
      const gateway = (d: Declared[]) => find(d, "docker:index/container:Container", "gateway").inputs;
      assert.deepEqual(gateway(changed), gateway(all));
      assert.match(nginxConf(changed), /rate=120r\/m;/);
      const labels = (d: Declared[]) => find(d, "docker:index/container:Container", "gateway-config").inputs.labels as { label: string; value: string }[];
      const before = new Set(labels(all).map((l) => `${l.label}=${l.value}`));
      assert.deepEqual(labels(changed).map((l) => `${l.label}=${l.value}`).filter((l) => !before.has(l)).sort(), [
        "dormer.gateway.maxBodyMb=20",
        "dormer.gateway.rateLimitPerMinute=120",
      ]);
    });

    it("publishes the gateway on 127.0.0.1 only", () => {
      const g = find(all, "docker:index/container:Container", "gateway");
      assert.deepEqual(g.inputs.ports, [{ internal: 8080, external: 8088, ip: "127.0.0.1", protocol: "tcp" }]);
    });

    it("runs the host firewall fence in the host's network namespace with NET_ADMIN only, restarting with the daemon", () => {
      const f = find(all, "docker:index/container:Container", "fence");
      assert.equal(f.inputs.networkMode, "host");
      assert.deepEqual(f.inputs.capabilities, { drops: ["ALL"], adds: ["NET_ADMIN"] });
      assert.equal(f.inputs.restart, "unless-stopped");
      assert.deepEqual(f.inputs.envs, ["DORMER_FENCE_BRIDGES=dt"], "a docker stack's tenants use no swarm gateway bridge");
    });

    it("names each tenant network's bridge so the fence recognises it", () => {
      const bridges = ["acme", "globex", "initech"].map(
        (id) => find(all, "docker:index/network:Network", `${id}-net`).inputs.options["com.docker.network.bridge.name"],
      );
      for (const b of bridges) assert.match(b, /^dt-[0-9a-f]{12}$/);
      assert.equal(new Set(bridges).size, 3);
    });

    it("has the supervisor listen on the core network only", () => {
      const envs = unwrap(find(all, "docker:index/container:Container", "supervisor-1").inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_LISTEN_NETWORK=dormer-local-core"), envs.join(" "));
    });

    it("has the supervisor believe forwarded client addresses from the core network only", () => {
      const envs = unwrap(find(all, "docker:index/container:Container", "supervisor-1").inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_TRUSTED_PROXIES=10.212.0.0/28"), envs.join(" "));
    });

    it("declares no Cloudflare resources", () => {
      assert.equal(all.filter((d) => d.type.startsWith("cloudflare:")).length, 0);
    });
  });

  describe("a tenant with its own image", () => {
    it("runs that image by ID as the unprivileged tenant user, its own HEALTHCHECK turned off", async () => {
      const all = await declare("local", {}, (t) => {
        t.tenants.find((x) => x.id === "initech")!.image = "registry.example.com/initech/tps:1.4";
      });
      assert.equal(find(all, "docker:index/remoteImage:RemoteImage", "initech-image").inputs.name, "registry.example.com/initech/tps:1.4");
      const c = find(all, "docker:index/container:Container", "initech");
      assert.equal(c.inputs.image, "sha256:initech-image");
      assert.equal(c.inputs.user, "10001:10001");
      assert.deepEqual(c.inputs.healthcheck, { tests: ["NONE"] });
      assert.deepEqual(c.inputs.capabilities, { drops: ["ALL"] });
    });

    it("gives it a read-only root and a capped /tmp unless the entry asks for a writable root", async () => {
      const ownImage = (rootFilesystem: "read-only" | "writable") => (t: ValidatedTenants) => {
        const initech = t.tenants.find((x) => x.id === "initech")!;
        Object.assign(initech, { image: "registry.example.com/initech/tps:1.4", rootFilesystem });
        initech.limits.tmpMb = 16;
      };
      const fenced = find(await declare("local", {}, ownImage("read-only")), "docker:index/container:Container", "initech");
      assert.equal(fenced.inputs.readOnly, true);
      assert.equal(fenced.inputs.mounts[0].tmpfsOptions.sizeBytes, 16 * 1024 * 1024);
      const open = find(await declare("local", {}, ownImage("writable")), "docker:index/container:Container", "initech");
      assert.equal(open.inputs.readOnly, false);
      assert.equal(open.inputs.mounts, undefined);
    });
  });

  describe("the stack's log limits (dormer:logMaxSizeMb, dormer:logMaxFiles)", () => {
    it("bounds every declared container's json-file logs, a prod stack's cloudflared included", async () => {
      const logs = { maxSizeMb: 7, maxFiles: 2 };
      const cloudflare = {
        accountId: "acc",
        zoneId: "zone",
        hostname: "dormer.example.com",
        accessTeamDomain: "example.cloudflareaccess.com",
        accessAllowedEmailDomains: ["example.com"],
      };
      const prod = { logs, cloudflare, publicUrl: "https://dormer.example.com", tenantBaseDomain: "tenants.example.net" };
      const all = [...(await declare("local", { logs })), ...(await declare("prod", prod))];
      const containers = all.filter((d) => d.type === "docker:index/container:Container");
      const names = new Set(containers.map((c) => c.name));
      for (const name of ["gateway", "supervisor-1", "supervisor-2", "redis", "fence", "acme", "initech", "tunnel-cloudflared"]) assert.ok(names.has(name), `${name} declared`);
      for (const c of containers) {
        assert.equal(c.inputs.logDriver, "json-file", c.name);
        assert.deepEqual(c.inputs.logOpts, { "max-size": "7m", "max-file": "2" }, c.name);
      }
    });
  });

  describe("the stack's connection budget (dormer:maxConnections)", () => {
    it("sizes the supervisor's and the gateway's open files and nginx's connections from it", async () => {
      const all = await declare("local", { maxConnections: 5000 });
      const nofile = [{ name: "nofile", soft: 11_024, hard: 11_024 }];
      assert.deepEqual(find(all, "docker:index/container:Container", "supervisor-1").inputs.ulimits, nofile);
      const gateway = find(all, "docker:index/container:Container", "gateway");
      assert.deepEqual(gateway.inputs.ulimits, nofile);
      const conf = nginxConf(all);
      assert.match(conf, /\nworker_rlimit_nofile 11024;\n/);
      assert.match(conf, /\n {4}worker_connections 10256;\n/);
    });

    it("refuses tenants whose caps add up past it, naming the sum, the largest caps and the budget", async () => {
      await assert.rejects(
        declare("local", { maxConnections: 1000 }),
        /^ConnectionBudgetError: dormer:maxConnections: the 3 tenants' maxConnections add up to 1 100 \(acme 1 000, globex 50, initech 50\), more than the stack's budget of 1 000: raise dormer:maxConnections/,
      );
    });
  });

  describe("orchestrator", () => {
    it("refuses, before declaring anything, tenants a swarm stack cannot place or honour, naming each", async () => {
      await assert.rejects(
        declare("local", { orchestrator: "swarm" }, (t) => {
          t.tenants[0]!.limits.lightSleepAfterMinutes = 5;
          t.tenants[1]!.node = "n1";
        }),
        (err: Error) => {
          assert.equal(err.name, "OrchestratorError");
          assert.deepEqual((err as unknown as { problems: string[] }).problems.map((p) => p.split(": ").slice(0, 2).join(": ")), [
            "tenants[0] (acme): limits.lightSleepAfterMinutes",
            "tenants[0] (acme): node",
            "tenants[2] (initech): node",
          ]);
          return true;
        },
      );
    });

    it("leaves a docker stack's supervisors as they were: no DORMER_ORCHESTRATOR, the default socket", async () => {
      const s = find(await declare("local"), "docker:index/container:Container", "supervisor-1").inputs;
      assert.equal((unwrap(s.envs) as string[]).some((e) => e.startsWith("DORMER_ORCHESTRATOR=")), false);
      assert.deepEqual(s.volumes, [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }]);
    });

    it("refuses a tenant's node on a docker stack", async () => {
      await assert.rejects(declare("local", {}, (t) => (t.tenants[1]!.node = "n1")), /tenants\[1\] \(globex\): node: only a swarm stack/);
    });
  });

  describe("swarm stack", () => {
    const SERVICE = "docker:index/service:Service";
    let all: Declared[];
    before(async () => {
      const tenantSecrets = { names: { acme: ["api-token"] }, values: pulumi.secret<Record<string, Record<string, string>>>({ acme: { "api-token": "secret-value" } }) };
      all = await declare("swarm-ci", { orchestrator: "swarm", swarmNode: "n0", engineSocket: "/run/dormer-swarmd/1/docker.sock", tenantSecrets }, (t) => {
        t.tenants[0]!.secretEnv = { API_TOKEN: "api-token" };
        t.tenants[1]!.node = "n1";
        t.tenants[2]!.image = "ghcr.io/initech/tps:1";
      });
    });

    it("fences the swarm's gateway bridge too, which its tenants with egress reach the host through", () => {
      const f = find(all, "docker:index/container:Container", "fence");
      assert.deepEqual(f.inputs.envs, ["DORMER_FENCE_BRIDGES=dt", "DORMER_FENCE_GATEWAY_BRIDGE=docker_gwbridge"]);
    });

    it("declares each tenant as a service, no tenant container", () => {
      assert.deepEqual(all.filter((d) => d.type === SERVICE).map((d) => d.name).sort(), ["acme", "globex", "initech"]);
      for (const id of ["acme", "globex", "initech"]) assert.equal(all.find((d) => d.type === "docker:index/container:Container" && d.name === id), undefined);
    });

    it("creates it asleep and leaves the replica count to the runtime", () => {
      const s = find(all, SERVICE, "globex");
      assert.deepEqual(s.inputs.mode, { replicated: { replicas: 0 } });
      assert.deepEqual(s.ignoreChanges, ["mode.replicated.replicas"]);
    });

    it("gives its task the plan's CPU and memory as limits and reservations, restarted at once, unprivileged", () => {
      const task = find(all, SERVICE, "globex").inputs.taskSpec;
      const free = { nanoCpus: 250_000_000, memoryBytes: 256 * 1024 * 1024 };
      assert.deepEqual(task.resources, { limits: free, reservation: free });
      assert.deepEqual(task.restartPolicy, { condition: "any", delay: "0s" });
      assert.equal(task.containerSpec.user, "10001:10001");
      assert.equal(task.containerSpec.readOnly, true);
      assert.deepEqual(task.containerSpec.capDrops, ["ALL"]);
      assert.deepEqual(task.containerSpec.mounts.map((m: { target: string }) => m.target), ["/data/files", "/data/state", "/tmp"]);
    });

    it("turns every task's health check off as the docker tenant's, an own image's included: the supervisor probes /health itself", () => {
      const docker = async () => (await declare("local")).find((d) => d.type === "docker:index/container:Container" && d.name === "globex")!.inputs.healthcheck;
      return docker().then((expected) => {
        assert.deepEqual(expected, { tests: ["NONE"] });
        assert.deepEqual(find(all, SERVICE, "globex").inputs.taskSpec.containerSpec.healthcheck, expected);
        assert.deepEqual(find(all, SERVICE, "initech").inputs.taskSpec.containerSpec.healthcheck, expected);
      });
    });

    it("places each tenant on its own node, else on dormer:swarmNode", () => {
      assert.deepEqual(find(all, SERVICE, "globex").inputs.taskSpec.placement, { constraints: ["node.hostname==n1"] });
      // acme has a secret in its env: its whole task spec arrives as a secret.
      assert.deepEqual(unwrap(find(all, SERVICE, "acme").inputs.taskSpec).placement, { constraints: ["node.hostname==n0"] });
    });

    it("updates one task at a time, stopped before its successor, rolled back on failure", () => {
      assert.deepEqual(find(all, SERVICE, "acme").inputs.updateConfig, { parallelism: 1, order: "stop-first", failureAction: "rollback" });
    });

    it("labels the service exactly as a docker stack labels the tenant's container (its name is the service's)", async () => {
      const onDocker = await declare("swarm-ci", {}, (t) => (t.tenants[1]!.node = undefined));
      const labels = (d: Declared) => Object.fromEntries((d.inputs.labels as { label: string; value: string }[]).map((l) => [l.label, l.value]));
      const service = labels(find(all, SERVICE, "globex"));
      assert.deepEqual(service, labels(find(onDocker, "docker:index/container:Container", "globex")));
      assert.equal(find(all, SERVICE, "globex").inputs.name, "dormer-swarm-ci-tenant-globex");
      assert.equal(service[LABEL.role], "tenant");
    });

    it("tells the supervisors to drive the swarm, through the socket of the engine the stack is declared on", () => {
      for (const name of ["supervisor-1", "supervisor-2"]) {
        const s = find(all, "docker:index/container:Container", name).inputs;
        assert.ok((unwrap(s.envs) as string[]).includes("DORMER_ORCHESTRATOR=swarm"));
        assert.deepEqual(s.volumes, [{ hostPath: "/run/dormer-swarmd/1/docker.sock", containerPath: "/var/run/docker.sock" }]);
      }
    });

    it("puts each tenant on an attachable overlay of its own subnet, internal unless its plan allows egress", () => {
      const net = (id: string) => find(all, "docker:index/network:Network", `${id}-net`).inputs;
      assert.deepEqual([net("globex").driver, net("globex").attachable, net("globex").internal], ["overlay", true, true]);
      assert.equal(net("acme").internal, false, "pro allows egress");
      assert.equal(net("globex").ipamConfigs.length, 1);
      assert.ok(net("globex").ipamConfigs[0].gateway, "gateway explicit");
      assert.equal(net("globex").options, undefined, "no bridge name: an overlay is not the fence's");
    });

    it("keeps the volumes when the tenant goes, and keeps secret env values out of the state", () => {
      for (const kind of ["files", "data"]) assert.equal(find(all, "docker:index/volume:Volume", `acme-${kind}`).retainOnDelete, true);
      const acme = find(all, SERVICE, "acme");
      assert.deepEqual(acme.additionalSecretOutputs, ["taskSpec"]);
      assert.equal(unwrap(acme.inputs.taskSpec).containerSpec.env.API_TOKEN, "secret-value");
    });
  });

  describe("tenant secrets (secretEnv)", () => {
    const VALUE = "tok_9f8e7d6c5b4a39281706";
    const withSecret = (names: Record<string, string[]>) =>
      declare(
        "local",
        { tenantSecrets: { names, values: pulumi.secret<Record<string, Record<string, string>>>({ acme: { "api-token": VALUE } }) } },
        (t) => {
          t.tenants.find((x) => x.id === "acme")!.secretEnv = { API_TOKEN: "api-token" };
        },
      );
    const isSecret = (v: unknown) => typeof v === "object" && v !== null && "4dabf18193072939515e22adb298388d" in v;

    it("gives the container the secret's value in an env that is a secret as a whole, also in its outputs", async () => {
      const acme = find(await withSecret({ acme: ["api-token"] }), "docker:index/container:Container", "acme");
      assert.ok(isSecret(acme.inputs.envs), "envs is a secret");
      const envs = unwrap(acme.inputs.envs) as string[];
      assert.ok(envs.includes(`API_TOKEN=${VALUE}`), envs.join("\n"));
      assert.ok(envs.includes("REPORT_TITLE=Acme files"), "the plain env is still there");
      assert.deepEqual(acme.additionalSecretOutputs, ["envs"]);
    });

    it("names the secret variables in a label, never their values; a tenant without secrets keeps a plain env", async () => {
      const all = await withSecret({ acme: ["api-token"] });
      const labels = find(all, "docker:index/container:Container", "acme").inputs.labels as { label: string; value: string }[];
      assert.equal(labels.find((l) => l.label === "dormer.secret-env")?.value, "API_TOKEN");
      assert.ok(!JSON.stringify(labels).includes(VALUE));
      const globex = find(all, "docker:index/container:Container", "globex");
      assert.ok(Array.isArray(globex.inputs.envs), "globex's env is not a secret");
      assert.deepEqual(globex.additionalSecretOutputs, []);
      assert.equal((globex.inputs.labels as { label: string }[]).find((l) => l.label === "dormer.secret-env"), undefined);
    });

    it("refuses a referenced secret the stack does not hold, naming the tenant, the variable and the secret", async () => {
      await assert.rejects(withSecret({ acme: ["other"] }), (err: Error) => {
        assert.equal(err.name, "TenantSecretsError");
        assert.match(err.message, /acme: secretEnv\.API_TOKEN: secret "api-token" is not set \(dormer secret set acme api-token --stack local\)/);
        return true;
      });
    });
  });

  describe("light sleep", () => {
    const labelsOf = (all: Declared[], id: string): Record<string, string> =>
      Object.fromEntries(find(all, "docker:index/container:Container", id).inputs.labels.map((l: { label: string; value: string }) => [l.label, l.value]));

    it("labels only the tenants whose limits have a light sleep, with the memory a pause holds", async () => {
      const all = await declare("local", {}, (t) => {
        t.tenants.find((x) => x.id === "acme")!.limits.lightSleepAfterMinutes = 2;
      });
      const acme = labelsOf(all, "acme");
      assert.equal(acme["dormer.light-sleep-seconds"], "120");
      assert.equal(acme["dormer.memory-mb"], String(find(all, "docker:index/container:Container", "acme").inputs.memory));
      const initech = labelsOf(all, "initech");
      assert.equal(initech["dormer.light-sleep-seconds"], undefined);
      assert.equal(initech["dormer.memory-mb"], undefined);
    });

    it("puts both volumes of a tenant with a diskMb on one disk of the disk driver, the size on its container only", async () => {
      const sized = (mb: number) =>
        declare("local", {}, (t) => {
          t.tenants.find((x) => x.id === "acme")!.limits.diskMb = mb;
        });
      const [small, large] = [await sized(64), await sized(128)];
      for (const kind of ["files", "data"]) {
        const v = find(small, "docker:index/volume:Volume", `acme-${kind}`);
        assert.equal(v.inputs.name, `dormer-local-tenant-acme-${kind}-disk`);
        assert.equal(v.inputs.driver, "dormer-disk");
        assert.deepEqual(v.inputs.driverOpts, { disk: "dormer-local-tenant-acme", owner: "10001:10001", migrateFrom: `dormer-local-tenant-acme-${kind}` });
        assert.equal(v.retainOnDelete, true);
        // A plan change must grow the disk, never replace the volume: nothing of the size is on it.
        assert.deepEqual(v.inputs, find(large, "docker:index/volume:Volume", `acme-${kind}`).inputs);
      }
      assert.equal(labelsOf(small, "acme")["dormer.disk-mb"], "64");
      assert.equal(labelsOf(large, "acme")["dormer.disk-mb"], "128");
      assert.equal(labelsOf(small, "acme")["dormer.disk-volume"], "dormer-local-tenant-acme-files-disk");
      const plain = find(small, "docker:index/volume:Volume", "globex-files");
      assert.equal(plain.inputs.name, "dormer-local-tenant-globex-files");
      assert.equal(plain.inputs.driver, undefined);
      assert.equal(labelsOf(small, "globex")["dormer.disk-mb"], undefined);
    });

    it("gives the paused-memory cap to the supervisor only: no tenant's labels change with it", async () => {
      const capped = await declare("local", { pausedMemoryMb: 2048 });
      const plain = await declare("local");
      const envs = unwrap(find(capped, "docker:index/container:Container", "supervisor-1").inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_PAUSED_MEMORY_MB=2048"), envs.join("\n"));
      for (const id of ["acme", "initech"]) assert.deepEqual(labelsOf(capped, id), labelsOf(plain, id));
    });

    it("gives the idle-timeout cap to the supervisor only: no tenant's container changes with it", async () => {
      const capped = await declare("local", { maxIdleTimeoutSeconds: 30 });
      const plain = await declare("local");
      const envs = unwrap(find(capped, "docker:index/container:Container", "supervisor-1").inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_MAX_IDLE_TIMEOUT_SECONDS=30"), envs.join("\n"));
      for (const id of ["acme", "initech"]) {
        assert.deepEqual(labelsOf(capped, id), labelsOf(plain, id));
        assert.deepEqual(unwrap(find(capped, "docker:index/container:Container", id).inputs.envs), unwrap(find(plain, "docker:index/container:Container", id).inputs.envs));
      }
    });
  });

  describe("tenants' own host names", () => {
    const withHosts = (t: ValidatedTenants) => {
      t.tenants.find((x) => x.id === "acme")!.hostnames = ["files.acme.com", "acme.example.org"];
    };
    const labelsOf = (all: Declared[], id: string): Record<string, string> =>
      Object.fromEntries(find(all, "docker:index/container:Container", id).inputs.labels.map((l: { label: string; value: string }) => [l.label, l.value]));
    const cloudflare = { ...PROD_SETTINGS.cloudflare, hostnameZones: { "acme.com": "acme-zone", "com": "wrong-zone" } };
    const prodWithHosts = () => declare("prod", { ...PROD_SETTINGS, cloudflare }, withHosts);

    it("labels the tenant with its host names and has the gateway serve them; other tenants' labels stay as they were", async () => {
      const all = await declare("local", {}, withHosts);
      assert.equal(labelsOf(all, "acme")["dormer.hostnames"], "files.acme.com,acme.example.org");
      assert.equal(labelsOf(all, "acme")["dormer.access-audiences"], undefined, "no Access without a tunnel");
      assert.deepEqual(labelsOf(all, "globex"), labelsOf(await declare("local"), "globex"));
      const conf = nginxConf(all);
      assert.ok(conf.includes("server_name ~^[a-z0-9]([a-z0-9-]*[a-z0-9])?\\.localhost$ files.acme.com acme.example.org;"), conf);
    });

    it("refuses a host name that is a tenant's <id>.<base> on this stack", async () => {
      await assert.rejects(
        declare("local", {}, (t) => {
          t.tenants.find((x) => x.id === "acme")!.hostnames = ["globex.localhost"];
        }),
        /acme: hostnames\[0\]: globex\.localhost is the origin of tenant "globex"/,
      );
    });

    it("prod: routes each through the tunnel, with a DNS record in its zone and an Access application of its own", async () => {
      const all = await prodWithHosts();
      const config = find(all, "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig", "tunnel-config");
      assert.deepEqual(
        config.inputs.config.ingresses.map((i: { hostname?: string }) => i.hostname),
        ["dormer.example.com", "*.tenants.example.net", "files.acme.com", "acme.example.org", undefined],
      );
      const record = (host: string) => find(all, "cloudflare:index/dnsRecord:DnsRecord", `tunnel-dns-${host}`).inputs;
      assert.deepEqual([record("files.acme.com").zoneId, record("files.acme.com").type, record("files.acme.com").proxied], ["acme-zone", "CNAME", true]);
      assert.equal(record("acme.example.org").zoneId, "apps-zone", "a name in no listed zone goes to the tenants' zone");
      const app = find(all, "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication", "tunnel-access-files.acme.com").inputs;
      assert.equal(app.domain, "files.acme.com");
      assert.deepEqual(app.destinations, [{ type: "public", uri: "files.acme.com" }]);
      assert.equal(app.type, "self_hosted");
      // The main application is unchanged: the new names are beside it, not in it.
      assert.deepEqual(find(all, "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication", "tunnel-access").inputs.destinations, [
        { type: "public", uri: "dormer.example.com" },
        { type: "public", uri: "*.tenants.example.net" },
      ]);
    });

    it("prod: gives each host name's Access audience to its tenant through labels, never to the supervisor", async () => {
      const all = await prodWithHosts();
      assert.equal(labelsOf(all, "acme")["dormer.access-audiences"], "files.acme.com=aud-tag,acme.example.org=aud-tag");
      const plain = await declare("prod", { ...PROD_SETTINGS, cloudflare });
      assert.deepEqual(unwrap(find(all, "docker:index/container:Container", "supervisor-1").inputs.envs), unwrap(find(plain, "docker:index/container:Container", "supervisor-1").inputs.envs));
    });
  });

  describe("prod stack", () => {
    const prod = () => declare("prod", PROD_SETTINGS);

    it("routes every tenant's own origin through the tunnel with one wildcard: ingress, DNS record, Access", async () => {
      const all = await prod();
      const config = find(all, "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig", "tunnel-config");
      assert.deepEqual(
        config.inputs.config.ingresses.map((i: { hostname?: string; service: string }) => [i.hostname, i.service]),
        [
          ["dormer.example.com", "http://dormer-prod-gateway:8080"],
          ["*.tenants.example.net", "http://dormer-prod-gateway:8080"],
          [undefined, "http_status:404"],
        ],
      );
      const dns = find(all, "cloudflare:index/dnsRecord:DnsRecord", "tunnel-tenants-dns");
      assert.equal(dns.inputs.name, "*.tenants.example.net");
      assert.equal(dns.inputs.zoneId, "apps-zone");
      assert.equal(dns.inputs.type, "CNAME");
      assert.equal(dns.inputs.proxied, true);
      assert.equal(find(all, "cloudflare:index/dnsRecord:DnsRecord", "tunnel-dns").inputs.zoneId, "zone");
      // One application, one audience: the supervisor checks every origin's Access JWT against it.
      const apps = all.filter((d) => d.type === "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication");
      assert.equal(apps.length, 1);
      assert.deepEqual(apps[0].inputs.destinations, [
        { type: "public", uri: "dormer.example.com" },
        { type: "public", uri: "*.tenants.example.net" },
      ]);
      const envs = unwrap(find(all, "docker:index/container:Container", "supervisor-1").inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_TENANT_BASE_DOMAIN=tenants.example.net"));
      assert.ok(envs.includes("DORMER_PUBLIC_URL=https://dormer.example.com"));
    });

    it("believes CF-Connecting-IP only from cloudflared, at a fixed address of the edge network", async () => {
      const all = await prod();
      const edge = find(all, "docker:index/network:Network", "edge-net");
      assert.equal(edge.inputs.ipamConfigs[0].subnet, "10.212.0.16/28");
      const cloudflared = find(all, "docker:index/container:Container", "tunnel-cloudflared");
      assert.deepEqual(cloudflared.inputs.networksAdvanced, [{ name: "dormer-prod-edge", ipv4Address: "10.212.0.30" }]);
      const conf = nginxConf(all);
      assert.match(conf, /real_ip_header CF-Connecting-IP;\s+set_real_ip_from 10\.212\.0\.30;/);
      assert.doesNotMatch(conf, /set_real_ip_from (?!10\.212\.0\.30;)/, "no other peer is believed");
      assert.doesNotMatch(nginxConf(await declare("local")), /real_ip|CF-Connecting-IP/, "without a tunnel nobody's header is believed");
    });

    it("the gateway routes by Host: the platform's name, one label under the tenant base domain, else 421", async () => {
      const all = await prod();
      const conf = nginxConf(all);
      assert.match(conf, /server_name dormer\.example\.com 127\.0\.0\.1 localhost;/);
      assert.ok(conf.includes("server_name ~^[a-z0-9]([a-z0-9-]*[a-z0-9])?\\.tenants\\.example\\.net$;"), conf);
      assert.match(conf, /listen 8080 default_server;[\s\S]*return 421/);
    });

    it("declares the tunnel, its config, DNS record, Access application and cloudflared", async () => {
      const all = await declare("prod", {
        cloudflare: {
          accountId: "acc",
          zoneId: "zone",
          hostname: "dormer.example.com",
          accessTeamDomain: "example.cloudflareaccess.com",
          accessAllowedEmailDomains: ["example.com"],
        },
        publicUrl: "https://dormer.example.com",
        tenantBaseDomain: "tenants.example.net",
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
      assert.equal(find(all, "docker:index/container:Container", "tunnel-cloudflared").inputs.name, "dormer-prod-cloudflared");
      const supervisor = find(all, "docker:index/container:Container", "supervisor-1");
      const envs = unwrap(supervisor.inputs.envs) as string[];
      assert.ok(envs.includes("DORMER_IDENTITY=cloudflare-access"));
      assert.ok(envs.includes("DORMER_ACCESS_AUDIENCE=aud-tag"));
      assert.equal(find(all, "docker:index/remoteImage:RemoteImage", "tunnel-cloudflared-image").inputs.name, "cloudflare/cloudflared:2024.12.2");
      assert.equal(find(all, "docker:index/container:Container", "tunnel-cloudflared").inputs.image, "sha256:tunnel-cloudflared-image");
    });
  });
});

describe("unit: a run that leaves tenants out (components/platform.ts with a RunScope)", () => {
  const previousTenantKeys = { acme: "acme-key-before", globex: "globex-key-before", initech: "initech-key-before" };

  it("declares only the tenants in scope and keeps the others' keys from the last outputs", async () => {
    const { declared, platform } = await build("local", {}, undefined, { programDigest: "d", declared: new Set(["globex"]), previousTenantKeys });
    const tenantContainers = declared.filter((d) => d.type === "docker:index/container:Container" && d.name.match(/^(acme|globex|initech)$/));
    assert.deepEqual(tenantContainers.map((d) => d.name), ["globex"]);
    assert.ok(declared.some((d) => d.name === "gateway") && declared.some((d) => d.name === "supervisor-1"), "the shared resources are always declared");
    const keys = await valueOf(platform.tenantKeys);
    assert.equal(keys.acme, "acme-key-before");
    assert.equal(keys.initech, "initech-key-before");
    assert.equal(keys.globex, "secret-globex-key", "the declared tenant's key is its key resource's");
    assert.deepEqual(Object.keys(platform.tenantUrls), ["acme", "globex", "initech"]);
  });

  it("leaves a later batch's new tenant out of every output", async () => {
    const { platform } = await build("local", {}, undefined, { programDigest: "d", declared: new Set(["acme"]), deferred: new Set(["initech"]), previousTenantKeys });
    assert.deepEqual(Object.keys(await valueOf(platform.tenantKeys)).sort(), ["acme", "globex"]);
    assert.deepEqual(Object.keys(platform.tenantUrls), ["acme", "globex"]);
  });

  it("gives each extra port its own origin in the outputs", async () => {
    const { platform } = await build("local");
    assert.deepEqual(platform.tenantPortUrls, { acme: { "9090": "http://acme--9090.localhost:8088" } });
  });
});
