import { strict as assert } from "assert";
import { batchesOf } from "../../cli/commands/up";

describe("unit: the batches of a large up (cli/commands/up.ts)", () => {
  it("is one batch when the tenants fit, empty included", () => {
    assert.deepEqual(batchesOf(["a", "b"], 2, []), [["a", "b"]]);
    assert.deepEqual(batchesOf([], 2, []), [[]]);
  });

  it("cuts the tenants in order into batches of at most the size, the forced ones first", () => {
    assert.deepEqual(batchesOf(["a", "b", "c", "d", "e"], 2, ["d"]), [["d", "a"], ["b", "c"], ["e"]]);
  });
});
