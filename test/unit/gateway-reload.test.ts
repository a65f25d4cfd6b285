import { strict as assert } from "assert";
import { configLabels, refusedConfig } from "../../components/gateway-reload";

describe("unit: the gateway-config run's report", () => {
  it("passes the report on when the config was applied", () => {
    assert.equal(refusedConfig(0, "gateway reloaded the new configuration (nginx master 7)\n"), "gateway reloaded the new configuration (nginx master 7)");
  });

  it("fails with nginx's own message when it was not", () => {
    const logs = 'nginx rejected the new gateway configuration; the gateway keeps serving the previous one:\nnginx: [emerg] invalid rate "rate=0r/m" in nginx.conf:28\n';
    assert.throws(() => refusedConfig(1, logs), /not applied \(exit code 1\):\nnginx rejected[\s\S]*invalid rate "rate=0r\/m"/);
  });

  it("labels every setting the config is rendered from, lists as JSON", () => {
    const labels = configLabels({
      supervisorHosts: ["s"], supervisorPort: 8080, rateLimitPerMinute: 60, rateLimitBurst: 20, maxBodyMb: 10,
      platformHost: "127.0.0.1", tenantBaseDomain: "localhost", openFiles: 4096, workerConnections: 1024,
      ...({ serverNames: ["a.example", "b.example"] } as object),
    });
    assert.equal(labels["dormer.gateway.rateLimitPerMinute"], "60");
    assert.equal(labels["dormer.gateway.cloudflaredAddress"], undefined, "a setting left out is no label");
    assert.equal(labels["dormer.gateway.serverNames"], '["a.example","b.example"]');
  });
});
