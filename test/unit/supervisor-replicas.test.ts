import { strict as assert } from "assert";
import { supervisorReplicasFrom } from "../../components/settings";

describe("unit: dormer:supervisorReplicas", () => {
  it("is 2 unless set, and takes a whole number from 1 to 8", () => {
    assert.equal(supervisorReplicasFrom(undefined), 2);
    for (const n of [1, 3, 8]) assert.equal(supervisorReplicasFrom(n), n);
  });

  it("refuses anything else, saying what it takes", () => {
    for (const n of [0, 9, 2.5, -1, NaN]) {
      assert.throws(() => supervisorReplicasFrom(n), /^Error: dormer:supervisorReplicas: must be a whole number from 1 to 8 \(2 or more to change the supervisor without a gap\), got /);
    }
  });
});
