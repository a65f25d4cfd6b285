import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, inspectContainer } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { login, siteOf } from "../support/supervisor";
import { RawWebSocket } from "../tenant-app/ws-client";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const PORT = 18088;
const GATEWAY = `http://127.0.0.1:${PORT}`;
const site = (tenant: string) => siteOf(GATEWAY, tenant);

describe("e2e: dormer rotate-key on the ci stack, through the gateway", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-e2e-rotate-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  const keysOf = async () =>
    (JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> }).tenantKeys;
  const signIn = (tenant: string, key: string) =>
    fetch(`${GATEWAY}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenant, key }) });
  const asMember = (tenant: string, cookie: string) => fetch(`${site(tenant)}/messages`, { headers: { cookie } });

  before(async () => {
    fs.copyFileSync(path.resolve(__dirname, "../../tenants.yaml"), tenantsFile);
    await dormerOk(["up", "--stack", STACK], env);
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("issues a new key: the old one and its sessions stop working, its WebSocket ends, other tenants and API keys are untouched", async () => {
    const before = await keysOf();
    const acme = await login(GATEWAY, "acme", before.acme);
    const globex = await login(GATEWAY, "globex", before.globex);
    const created = await fetch(`${site("acme")}/_dormer/api/keys`, { method: "POST", headers: { cookie: acme, "content-type": "application/json" }, body: JSON.stringify({ name: "survives rotation" }) });
    assert.equal(created.status, 201);
    const { key: apiKey } = (await created.json()) as { key: string };
    const ws = await RawWebSocket.connect(PORT, { Cookie: acme }, `acme.localhost:${PORT}`);
    ws.send(1, "before the rotation");
    assert.equal((await ws.next()).payload.toString(), "before the rotation");
    const globexContainer = (await inspectContainer(`${PREFIX}-tenant-globex`))?.Id;

    const started = Date.now();
    const rotated = await dormerOk(["rotate-key", "acme", "--stack", STACK], env);
    console.log(`      dormer rotate-key: ${Date.now() - started} ms`);
    assert.match(rotated.stdout, /tenant acme has a new key/);
    await ws.ended;

    const after = await keysOf();
    assert.notEqual(after.acme, before.acme);
    assert.equal(after.globex, before.globex);
    assert.equal((await asMember("acme", acme)).status, 401, "the old key's session still works");
    assert.equal((await signIn("acme", before.acme)).status, 401, "the old key still signs in");
    assert.equal((await asMember("acme", await login(GATEWAY, "acme", after.acme))).status, 200);
    assert.equal((await fetch(`${site("acme")}/messages`, { headers: { authorization: `Bearer ${apiKey}` } })).status, 200);
    assert.equal((await asMember("globex", globex)).status, 200);
    assert.equal((await inspectContainer(`${PREFIX}-tenant-globex`))?.Id, globexContainer, "another tenant's container was replaced");
  });

  it("names a tenant the stack does not have", async () => {
    const result = await dormer(["rotate-key", "nosuch", "--stack", STACK], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /stack ci has no key for tenant "nosuch"/);
  });
});
