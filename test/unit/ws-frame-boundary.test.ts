import { strict as assert } from "assert";
import { closeFrame, FrameBoundary } from "../../runtime/http/ws-frame-boundary";

const frame = (opcode: number, length: number): Buffer => {
  const header = length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 0x10000 ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(length)); return b; })()]);
  return Buffer.concat([header, Buffer.alloc(length, 0x61)]);
};

describe("unit: following a WebSocket server's frames", () => {
  it("knows where frames of every length form end, however the bytes are split", () => {
    const stream = Buffer.concat([frame(1, 5), frame(2, 300), frame(2, 70_000), frame(9, 0)]);
    for (const size of [1, 2, 3, 7, 13, 1000, stream.length]) {
      const f = new FrameBoundary();
      const ends: number[] = [];
      for (let at = 0; at < stream.length; at += size) {
        f.push(stream.subarray(at, at + size));
        if (f.atBoundary) ends.push(Math.min(at + size, stream.length));
      }
      assert.equal(f.atBoundary, true, `split every ${size}`);
      assert.equal(f.sawClose, false);
      for (const end of ends) assert.ok([7, 311, 70_321, 70_323].includes(end), `split every ${size}: no boundary at ${end}`);
    }
  });

  it("is not at a boundary inside a header or a payload", () => {
    const f = new FrameBoundary();
    f.push(frame(1, 300).subarray(0, 3));
    assert.equal(f.atBoundary, false);
    f.push(frame(1, 300).subarray(3, 100));
    assert.equal(f.atBoundary, false);
  });

  it("takes bytes only up to the end of the frame under way, however the bytes are split", () => {
    const stream = Buffer.concat([frame(1, 5), frame(2, 300), frame(9, 0), frame(2, 70_000)]);
    const ends = [7, 311, 313, 70_323];
    for (const size of [1, 2, 3, 7, 13, 1000, stream.length]) {
      for (const from of [1, 4, 8, 310, 312, 400]) {
        const f = new FrameBoundary();
        f.push(stream.subarray(0, from));
        let at = from;
        while (!f.atBoundary) {
          const chunk = stream.subarray(at, at + size);
          const taken = f.toBoundary(chunk);
          assert.ok(taken > 0 && taken <= chunk.length, `split every ${size} from ${from}: took ${taken}`);
          at += taken;
        }
        assert.equal(at, ends.find((end) => end >= from), `split every ${size} from ${from}`);
        assert.equal(f.toBoundary(stream.subarray(at, at + size)), 0, "nothing more is taken at a boundary");
      }
    }
  });

  it("sees the server's close frame, and builds one with a code and reason", () => {
    const f = new FrameBoundary();
    const close = closeFrame(1012, "tenant restarting");
    f.push(close);
    assert.equal(f.sawClose, true);
    assert.equal(f.atBoundary, true);
    assert.equal(close.readUInt16BE(2), 1012);
    assert.equal(close.subarray(4).toString(), "tenant restarting");
  });
});
