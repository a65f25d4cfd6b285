import assert from "node:assert/strict";
import { join } from "node:path";
import { loadTenantsFile, parseTenantsFile, TenantsFileError } from "../../components/tenants-file";

const FREE = "{ cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000 }";

/** A valid file around the given tenant lines (each a YAML list item); `plans` replaces the plan section. */
function file(tenants: string[], plans = `  free: ${FREE}`): string {
  const list = tenants.length === 0 ? " []" : tenants.map((t) => `\n  - ${t}`).join("");
  return `version: 1\nplans:\n${plans}\ntenants:${list}\n`;
}

/** The free plan with one piece of its text replaced. */
function freePlan(from: string, to: string): string {
  return file([], `  free: ${FREE}`.replace(from, to));
}

/** A file whose only tenant is acme on the free plan, with `fields` added. */
function acme(fields: string): string {
  return file([`{ id: acme, plan: free, ${fields} }`]);
}

/** acme and globex, each with one member. */
function members(acmeMember: string, globexMember: string): string {
  return file([
    `{ id: acme, plan: free, members: ["${acmeMember}"] }`,
    `{ id: globex, plan: free, members: ["${globexMember}"] }`,
  ]);
}

function problemsOf(text: string): string[] {
  try {
    parseTenantsFile(text);
  } catch (err) {
    assert.ok(err instanceof TenantsFileError, `expected TenantsFileError, got ${err}`);
    return err.problems;
  }
  assert.fail("expected the file to be rejected");
}

const HOST_RULE = 'must be a DNS name like files.acme.com (labels of letters, digits and "-", no port, no wildcard)';

describe("tenants file", () => {
  describe("rejects each broken file with exact messages", () => {
    const ID_RULE = 'must be 3-32 lowercase letters, digits and "-", starting with a letter and not ending with "-"';
    const RESERVED = "is set by the platform (reserved: DORMER_*, PORT, FILES_DIR, DATA_DIR)";
    const cases: [string, string, string[]][] = [
      ["wrong version", file([]).replace("version: 1", "version: 2"), ["version: must be 1"]],
      ["missing tenants", "version: 1\nplans: {}\n", ["tenants: is required"]],
      ["not a mapping", "- a\n- b\n", ["tenants.yaml: must be a mapping"]],
      [
        "top-level typo",
        "version: 1\nplans: {}\ntenant: []\n",
        ["tenants: is required", 'tenant: unknown key (did you mean "tenants"?)'],
      ],
      ["plan cpus too high", freePlan("0.25", "17"), ["plans.free: cpus: must be at most 16"]],
      ["plan cpus too low", freePlan("0.25", "0.01"), ["plans.free: cpus: must be at least 0.05"]],
      ["fractional memory", freePlan("256", "256.5"), ["plans.free: memoryMb: must be a whole number"]],
      ["memory with a unit", freePlan("256", "256MB"), ["plans.free: memoryMb: must be a whole number"]],
      ["missing plan field", freePlan("egress: false, ", ""), ["plans.free: egress: is required"]],
      ["yes is not a boolean", freePlan("false", "yes"), ["plans.free: egress: must be true or false"]],
      ["zero quota", freePlan("1000", "0"), ["plans.free: dailyRequestQuota: must be at least 1"]],
      [
        "quota word",
        freePlan("1000", "lots"),
        ['plans.free: dailyRequestQuota: must be a whole number or "unlimited"'],
      ],
      [
        "plan typo",
        freePlan("memoryMb", "memory"),
        ["plans.free: memoryMb: is required", 'plans.free: memory: unknown key (did you mean "memoryMb"?)'],
      ],
      [
        "bad plan name",
        freePlan("free", "Free Tier"),
        ['plans.Free Tier: name must be up to 32 lowercase letters, digits and "-", starting with a letter'],
      ],
      [
        "secret name with a dot",
        acme("secretEnv: { API_TOKEN: api.token }"),
        ['tenants[0] (acme): secretEnv.API_TOKEN: must be up to 63 lowercase letters, digits and "-", starting with a letter'],
      ],
      [
        "secret value written inline",
        acme("secretEnv: { API_TOKEN: { value: x } }"),
        ["tenants[0] (acme): secretEnv.API_TOKEN: must be the name of a secret (dormer secret list TENANT)"],
      ],
      ["reserved secret variable", acme("secretEnv: { PORT: port }"), [`tenants[0] (acme): secretEnv.PORT: ${RESERVED}`]],
      [
        "variable in env and secretEnv",
        acme('env: { API_TOKEN: "x" }, secretEnv: { API_TOKEN: api-token }'),
        ["tenants[0] (acme): secretEnv.API_TOKEN: also set in env; a variable comes from one of them"],
      ],
      ["host name with a port", acme('hostnames: ["files.acme.com:8443"]'), [`tenants[0] (acme): hostnames[0]: ${HOST_RULE}`]],
      ["wildcard host name", acme('hostnames: ["*.acme.com"]'), [`tenants[0] (acme): hostnames[0]: ${HOST_RULE}`]],
      ["single-label host name", acme("hostnames: [intranet]"), [`tenants[0] (acme): hostnames[0]: ${HOST_RULE}`]],
      ["IP address as host name", acme('hostnames: ["10.0.0.1"]'), [`tenants[0] (acme): hostnames[0]: ${HOST_RULE}`]],
      ["label ending in -", acme('hostnames: ["files-.acme.com"]'), [`tenants[0] (acme): hostnames[0]: ${HOST_RULE}`]],
      ["host name twice in one tenant", acme('hostnames: ["a.acme.com", "A.acme.com"]'), ["tenants[0] (acme): hostnames[1]: duplicate of hostnames[0]"]],
      [
        "host name of two tenants",
        file(['{ id: acme, plan: free, hostnames: ["shared.example.com"] }', '{ id: globex, plan: free, hostnames: ["Shared.Example.com"] }']),
        ["tenants[1] (globex): hostnames[0]: shared.example.com is already a host name of tenants[0] (acme)"],
      ],
      ["tenant not a mapping", file(["acme"]), ["tenants[0]: must be a mapping"]],
      ["missing id", file(["{ plan: free }"]), ["tenants[0]: id: is required"]],
      ["id not a string", file(["{ id: 42, plan: free }"]), ["tenants[0]: id: must be a string"]],
      ["id with capitals", file(["{ id: Acme, plan: free }"]), [`tenants[0] (Acme): id: ${ID_RULE}`]],
      ["id too short", file(["{ id: ab, plan: free }"]), [`tenants[0] (ab): id: ${ID_RULE}`]],
      [
        "id with the port separator",
        file(["{ id: acme--9090, plan: free }"]),
        ['tenants[0] (acme--9090): id: must not contain "--": <id>--<port>.<tenantBaseDomain> is the host name of a tenant\'s extra port'],
      ],
      ["missing plan", file(["{ id: acme }"]), ["tenants[0] (acme): plan: is required"]],
      [
        "unknown plan, close",
        file(["{ id: acme, plan: fre }"]),
        ['tenants[0] (acme): plan: unknown plan "fre" (did you mean "free"?)'],
      ],
      [
        "unknown plan, far",
        file(["{ id: acme, plan: gold }"]),
        ['tenants[0] (acme): plan: unknown plan "gold" (plans: free)'],
      ],
      [
        "no plans at all",
        "version: 1\nplans: {}\ntenants:\n  - { id: acme, plan: free }\n",
        ['tenants[0] (acme): plan: unknown plan "free" (no plans defined)'],
      ],
      [
        "override out of range",
        acme("limits: { memoryMb: 64 }"),
        ["tenants[0] (acme): limits.memoryMb: must be at least 128"],
      ],
      [
        "override typo",
        acme("limits: { cpu: 1 }"),
        ['tenants[0] (acme): limits.cpu: unknown key (did you mean "cpus"?)'],
      ],
      [
        "tenant key typo",
        acme("limts: { cpus: 1 }"),
        ['tenants[0] (acme): limts: unknown key (did you mean "limits"?)'],
      ],
      [
        "limit outside limits",
        acme("memoryMb: 512"),
        ['tenants[0] (acme): memoryMb: unknown key (did you mean "limits.memoryMb"?)'],
      ],
      ["unknown key, no guess", acme("colour: red"), ["tenants[0] (acme): colour: unknown key"]],
      ["empty display name", acme('displayName: ""'), ["tenants[0] (acme): displayName: must not be empty"]],
      [
        "bad image",
        acme('image: "My App"'),
        ['tenants[0] (acme): image: must be an image reference like "ghcr.io/acme/app:1.2"'],
      ],
      ["reserved env prefix", acme("env: { DORMER_TENANT: x }"), [`tenants[0] (acme): env.DORMER_TENANT: ${RESERVED}`]],
      ["reserved env name", acme("env: { DATA_DIR: /tmp }"), [`tenants[0] (acme): env.DATA_DIR: ${RESERVED}`]],
      [
        "bad env name",
        acme("env: { MY-VAR: x }"),
        ['tenants[0] (acme): env.MY-VAR: must be letters, digits and "_", not starting with a digit'],
      ],
      [
        "unquoted env value",
        acme("env: { DEBUG: true }"),
        ['tenants[0] (acme): env.DEBUG: must be a string (quote it: "3000", "true")'],
      ],
      [
        "bad member",
        acme("members: [alice]"),
        ["tenants[0] (acme): members[0]: must be an email (alice@acme.com) or a domain (@acme.com)"],
      ],
      [
        "member listed twice, any case",
        acme("members: [alice@acme.com, Alice@ACME.com]"),
        ["tenants[0] (acme): members[1]: duplicate of members[0]"],
      ],
      [
        "app port",
        acme("ports: [8080]"),
        ["tenants[0] (acme): ports[0]: must not be 8080: the app port is always exposed"],
      ],
      ["pids limit too low", acme("limits: { pidsLimit: 8 }"), ["tenants[0] (acme): limits.pidsLimit: must be at least 16"]],
      ["negative swap", acme("limits: { swapMb: -1 }"), ["tenants[0] (acme): limits.swapMb: must be at least 0"]],
      ["tmp size zero", acme("limits: { tmpMb: 0 }"), ["tenants[0] (acme): limits.tmpMb: must be at least 1"]],
      [
        "unknown root filesystem",
        acme("image: ghcr.io/acme/app:1, rootFilesystem: rw"),
        ['tenants[0] (acme): rootFilesystem: must be one of: "read-only", "writable"'],
      ],
      [
        "writable root for the default app",
        acme("rootFilesystem: writable"),
        ['tenants[0] (acme): rootFilesystem: "writable" needs the tenant\'s own image (the default app always runs read-only)'],
      ],
      ["port zero", acme("ports: [0]"), ["tenants[0] (acme): ports[0]: must be at least 1"]],
      ["port listed twice", acme("ports: [9000, 9000]"), ["tenants[0] (acme): ports[1]: duplicate of ports[0]"]],
      [
        "duplicate id",
        file(["{ id: acme, plan: free }", "{ id: acme, plan: free }"]),
        ["tenants[1] (acme): id: already used by tenants[0]"],
      ],
      [
        "email claimed twice",
        members("bob@x.com", "bob@x.com"),
        ["tenants[1] (globex): members[0]: bob@x.com is already a member of tenants[0] (acme)"],
      ],
      [
        "domain claimed twice",
        members("@x.com", "@x.com"),
        ["tenants[1] (globex): members[0]: @x.com is already a member of tenants[0] (acme)"],
      ],
      [
        "email inside another tenant's domain",
        members("@x.com", "bob@x.com"),
        ["tenants[1] (globex): members[0]: bob@x.com is already covered by @x.com in tenants[0] (acme)"],
      ],
      [
        "domain covering another tenant's email",
        members("bob@x.com", "@x.com"),
        ["tenants[1] (globex): members[0]: @x.com covers bob@x.com, a member of tenants[0] (acme)"],
      ],
      [
        "yaml syntax",
        "version: 1\nplans: [\ntenants: []\n",
        ["tenants.yaml: line 3, column 1: " + "Flow sequence in block collection must be sufficiently indented and end with a ]"],
      ],
      ["yaml duplicate key", "version: 1\nversion: 1\n", ["tenants.yaml: line 2, column 1: Map keys must be unique"]],
      [
        "light sleep not before the deep one, in a plan",
        freePlan("idleTimeoutMinutes: 10", "idleTimeoutMinutes: 10, lightSleepAfterMinutes: 10"),
        ["plans.free: lightSleepAfterMinutes: must be below idleTimeoutMinutes (10), got 10: the light sleep comes before the deep one"],
      ],
      [
        "light sleep not before the deep one, by a tenant's override",
        acme("limits: { lightSleepAfterMinutes: 12 }"),
        ["tenants[0] (acme): limits.lightSleepAfterMinutes: must be below idleTimeoutMinutes (10), got 12: the light sleep comes before the deep one"],
      ],
      [
        "light sleep from the plan, deep sleep shortened by a tenant",
        file(["{ id: acme, plan: free, limits: { idleTimeoutMinutes: 2 } }"], `  free: ${FREE.replace("idleTimeoutMinutes: 10", "idleTimeoutMinutes: 10, lightSleepAfterMinutes: 5")}`),
        ["tenants[0] (acme): lightSleepAfterMinutes (from plan free): must be below idleTimeoutMinutes (2), got 5: the light sleep comes before the deep one"],
      ],
      ["light sleep of zero minutes", acme("limits: { lightSleepAfterMinutes: 0 }"), ["tenants[0] (acme): limits.lightSleepAfterMinutes: must be at least 1"]],
    ];
    for (const [name, text, expected] of cases) {
      it(name, () => assert.deepEqual(problemsOf(text), expected));
    }
  });

  it("reports every problem of a file at once, in file order, cross-checking tenants that have other problems", () => {
    const text = file(
      [
        '{ id: acme, plan: free, members: ["@acme.com"], limits: { memoryMb: 64 } }',
        '{ id: acme, plan: pro, members: ["wile@acme.com"], env: { DORMER_X: "1" } }',
        "{ plan: free, ports: [8080] }",
      ],
      `  free: ${FREE.replace("0.25", "17")}`,
    ).replace("version: 1", "version: 3");
    assert.deepEqual(problemsOf(text), [
      "version: must be 1",
      "plans.free: cpus: must be at most 16",
      "tenants[0] (acme): limits.memoryMb: must be at least 128",
      "tenants[1] (acme): env.DORMER_X: is set by the platform (reserved: DORMER_*, PORT, FILES_DIR, DATA_DIR)",
      "tenants[1] (acme): id: already used by tenants[0]",
      'tenants[1] (acme): plan: unknown plan "pro" (plans: free)',
      "tenants[1] (acme): members[0]: wile@acme.com is already covered by @acme.com in tenants[0] (acme)",
      "tenants[2]: id: is required",
      "tenants[2]: ports[0]: must not be 8080: the app port is always exposed",
    ]);
  });

  it("puts every problem in the error message, one per line, under the file name", () => {
    const text = file(["{ plan: free, limits: { cpus: 0 } }"]);
    assert.throws(() => parseTenantsFile(text, "stacks/tenants.yaml"), {
      name: "TenantsFileError",
      message: [
        "stacks/tenants.yaml: 2 problems",
        "  tenants[0]: id: is required",
        "  tenants[0]: limits.cpus: must be at least 0.05",
      ].join("\n"),
    });
  });

  it("names an unreadable file", () => {
    assert.throws(() => loadTenantsFile("/nonexistent/tenants.yaml"), (err: unknown) => {
      assert.ok(err instanceof TenantsFileError);
      assert.match(err.problems[0]!, /^\/nonexistent\/tenants\.yaml: cannot read: ENOENT/);
      return true;
    });
  });

  it("resolves the example file: plan defaults, overrides merged, members lowercased", () => {
    const free = {
      cpus: 0.25,
      memoryMb: 256,
      idleTimeoutMinutes: 10,
      egress: false,
      dailyRequestQuota: 1000,
      maxHeldRequests: 20,
      wakeTimeoutSeconds: 30,
      maxConnections: 50,
      requestTimeoutSeconds: 60,
      swapMb: 0,
      pidsLimit: 256,
      tmpMb: 64,
    };
    const pro = {
      cpus: 1,
      memoryMb: 1024,
      idleTimeoutMinutes: 60,
      egress: true,
      dailyRequestQuota: "unlimited" as const,
      maxHeldRequests: 100,
      wakeTimeoutSeconds: 30,
      maxConnections: 1000,
      requestTimeoutSeconds: 60,
      swapMb: 0,
      pidsLimit: 256,
      tmpMb: 64,
    };
    assert.deepEqual(loadTenantsFile(join(__dirname, "../../tenants.yaml")), {
      plans: { free, pro },
      tenants: [
        {
          id: "acme",
          displayName: "Acme Corp",
          plan: "pro",
          limits: pro,
          image: undefined,
          rootFilesystem: "read-only",
          env: { REPORT_TITLE: "Acme files", MAX_UPLOAD_MB: "50" },
          secretEnv: {},
          members: ["@acme.com", "wile.e@coyote.dev"],
          hostnames: [],
          ports: [9090],
        },
        {
          id: "globex",
          displayName: "Globex",
          plan: "free",
          limits: free,
          image: undefined,
          rootFilesystem: "read-only",
          env: {},
          secretEnv: {},
          members: ["hank@globex.com", "mindy@globex.com"],
          hostnames: [],
          ports: [],
        },
        {
          id: "initech",
          displayName: "Initech",
          plan: "free",
          limits: { ...free, memoryMb: 512, idleTimeoutMinutes: 30 },
          image: undefined,
          rootFilesystem: "read-only",
          env: {},
          secretEnv: {},
          members: ["@initech.com"],
          hostnames: [],
          ports: [],
        },
      ],
    });
  });

  it("keeps host names lowercased, trimmed", () => {
    const [t] = parseTenantsFile(acme('hostnames: [" Files.Acme.com ", "acme.example.co.uk"]')).tenants;
    assert.deepEqual(t!.hostnames, ["files.acme.com", "acme.example.co.uk"]);
  });

  it("keeps secretEnv as names of secrets, never values", () => {
    const [t] = parseTenantsFile(acme("secretEnv: { API_TOKEN: api-token, DB_PASSWORD: db }")).tenants;
    assert.deepEqual(t!.secretEnv, { API_TOKEN: "api-token", DB_PASSWORD: "db" });
  });

  it("defaults the display name to the id and normalises members", () => {
    const [tenant] = parseTenantsFile(file(['{ id: acme, plan: free, members: [" Alice@ACME.com "] }'])).tenants;
    assert.equal(tenant!.displayName, "acme");
    assert.deepEqual(tenant!.members, ["alice@acme.com"]);
  });

  it("resolves a light sleep from the plan, below the tenant's own idle timeout", () => {
    const { tenants } = parseTenantsFile(file(["{ id: acme, plan: free, limits: { idleTimeoutMinutes: 30 } }"], `  free: ${FREE.replace("idleTimeoutMinutes: 10", "idleTimeoutMinutes: 10, lightSleepAfterMinutes: 3")}`));
    assert.equal(tenants[0]!.limits.lightSleepAfterMinutes, 3);
    assert.equal(tenants[0]!.limits.idleTimeoutMinutes, 30);
  });

  it("lets one tenant list a domain and an address inside it", () => {
    const { tenants } = parseTenantsFile(file(['{ id: acme, plan: free, members: ["@acme.com", "ceo@acme.com"] }']));
    assert.deepEqual(tenants[0]!.members, ["@acme.com", "ceo@acme.com"]);
  });
});
