import { strict as assert } from "assert";
import { DEFAULT_LOG_LIMITS, logLimitsFrom } from "../../components/log-limits";

describe("unit: dormer:logMaxSizeMb and dormer:logMaxFiles", () => {
  it("defaults when absent and reads numbers as YAML strings", () => {
    assert.deepEqual(logLimitsFrom(undefined, undefined), DEFAULT_LOG_LIMITS);
    assert.deepEqual(logLimitsFrom("50", "5"), { maxSizeMb: 50, maxFiles: 5 });
  });

  it("refuses a value that is not a whole number in range, naming the key and the value", () => {
    assert.throws(() => logLimitsFrom("0", undefined), /^Error: dormer:logMaxSizeMb: must be a whole number from 1 to 10240, got "0"$/);
    assert.throws(() => logLimitsFrom(undefined, "2.5"), /^Error: dormer:logMaxFiles: must be a whole number from 1 to 100, got "2.5"$/);
    assert.throws(() => logLimitsFrom("10m", undefined), /^Error: dormer:logMaxSizeMb: must be a whole number from 1 to 10240, got "10m"$/);
  });
});
