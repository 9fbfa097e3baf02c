import { expect } from "chai";
import fc from "fast-check";
import { DTypeError, KilnError, ValueError } from "@kiln/core";
import { bfloat16BitsToNumber, halfBitsToNumber, numberToHalfBits } from "@kiln/core";
import { type HostTensor, decodeEntry, encodeSafetensors, parseSafetensorsHeader } from "./safetensors.js";

/** A file from a header object and a data section, for hand-made (often broken) files. */
function fileOf(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (name: string, shape: number[], offsets: [number, number]) => [name, { dtype: "F32", shape, data_offsets: offsets }] as const;

describe("safetensors format", () => {
  describe("binary16 and bfloat16 bits", () => {
    it("every half bit pattern survives number -> bits -> number", () => {
      for (let h = 0; h < 0x10000; h++) {
        const v = halfBitsToNumber(h);
        if (Number.isNaN(v)) expect(Number.isNaN(halfBitsToNumber(numberToHalfBits(v))), `0x${h.toString(16)}`).to.equal(true);
        else expect(numberToHalfBits(v), `0x${h.toString(16)}`).to.equal(h);
      }
    });

    it("rounds half to even, overflows to infinity and underflows through subnormals as NumPy does", () => {
      // Expected bit patterns from numpy: np.array([...], np.float32).astype(np.float16).view(np.uint16)
      const cases: [number, number][] = [
        [1 + 2 ** -11, 0x3c00], // a tie: stays on the even 1.0
        [1 + 3 * 2 ** -11, 0x3c02], // a tie: goes up to the even neighbour
        [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [-1e6, 0xfc00],
        [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -26, 0x0001], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [-0, 0x8000],
      ];
      for (const [v, bits] of cases) expect(numberToHalfBits(v), String(v)).to.equal(bits);
    });

    it("bfloat16 is the top half of a float32", () => {
      expect(bfloat16BitsToNumber(0x3f80)).to.equal(1);
      expect(bfloat16BitsToNumber(0xc0a0)).to.equal(-5);
      expect(bfloat16BitsToNumber(0x7f80)).to.equal(Infinity);
    });
  });

  it("writes and reads back every kiln dtype, 8-byte aligned, with metadata", () => {
    const tensors: [string, HostTensor][] = [
      ["b", { dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) }],
      ["i", { dtype: "int32", shape: [2, 1], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) }],
      ["h", { dtype: "float16", shape: [2], data: new Float32Array([0.5, -65504]) }],
      ["f", { dtype: "float32", shape: [], data: new Float32Array([Math.fround(0.1)]) }],
      ["d", { dtype: "float64", shape: [1, 2], data: new Float64Array([0.1, -1e300]) }],
      ["z", { dtype: "float32", shape: [0, 4], data: new Float32Array(0) }],
    ];
    const bytes = encodeSafetensors(tensors, { epoch: "3" });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).to.equal(0);
    const header = parseSafetensorsHeader(bytes);
    expect(header.metadata).to.deep.equal({ epoch: "3" });
    expect(header.entries.map((e) => [e.name, e.fileDType])).to.deep.equal([["b", "BOOL"], ["i", "I32"], ["h", "F16"], ["f", "F32"], ["d", "F64"], ["z", "F32"]]);
    for (const [i, [, t]] of tensors.entries()) {
      const back = decodeEntry(bytes, header.entries[i]!);
      expect(back.dtype).to.equal(t.dtype);
      expect(back.shape).to.deep.equal(t.shape);
      expect(Array.from(back.data)).to.deep.equal(Array.from(t.data));
    }
  });

  it("reads BF16 as bfloat16 and range-checks U32/I64 into int32", () => {
    const bf = new Uint8Array([0x80, 0x3f, 0xa0, 0xc0]); // 1, -5
    const h = parseSafetensorsHeader(fileOf({ x: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } }, bf));
    const x = decodeEntry(fileOf({ x: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } }, bf), h.entries[0]!);
    expect([x.dtype, ...x.data]).to.deep.equal(["bfloat16", 1, -5]);
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    const file = fileOf({ n: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, big);
    expect(() => decodeEntry(file, parseSafetensorsHeader(file).entries[0]!)).to.throw(DTypeError, /"n" \(I64\) holds 1099511627776 at index 0, outside int32/);
  });

  it("BF16 round-trips bit for bit: every bfloat16 pattern but the NaNs, written as bfloat16 and read back", () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((b) => (b & 0x7f80) !== 0x7f80 || (b & 0x7f) === 0);
    const file = fileOf({ x: { dtype: "BF16", shape: [bits.length], data_offsets: [0, bits.length * 2] } }, new Uint8Array(bits.buffer));
    const t = decodeEntry(file, parseSafetensorsHeader(file).entries[0]!);
    expect(t.dtype).to.equal("bfloat16");
    const again = encodeSafetensors([["x", t]], {});
    expect(Buffer.from(again.subarray(again.length - bits.length * 2)).equals(Buffer.from(bits.buffer))).to.equal(true);
  });

  describe("rejects malformed files with a typed error", () => {
    const four = new Uint8Array(4);
    const cases: [string, Uint8Array, RegExp, typeof KilnError][] = [
      ["fewer than 8 bytes", new Uint8Array(5), /has 5 bytes/, ValueError],
      ["a header length past the end", (() => { const b = fileOf({}); new DataView(b.buffer).setBigUint64(0, 2n ** 62n, true); return b; })(), /header length 4611686018427387904 does not fit/, ValueError],
      ["a header that is not JSON", fileOf(null, four, "{oops"), /not UTF-8 JSON/, ValueError],
      ["a header that is not an object", fileOf([1, 2]), /must be a JSON object/, ValueError],
      ["a duplicate name", fileOf(null, new Uint8Array(8), '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "w" :{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'), /names "w" twice/, ValueError],
      ["an unknown dtype", fileOf({ w: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } }, four), /"w" has dtype "F8_E4M3", which kiln cannot read/, DTypeError],
      ["a negative dimension", fileOf({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, four), /shape \[-1\]/, ValueError],
      ["offsets past the data", fileOf(Object.fromEntries([f32("w", [2], [0, 8])]), four), /cover 8 data bytes but the file has 4/, ValueError],
      ["overlapping offsets", fileOf(Object.fromEntries([f32("a", [1], [0, 4]), f32("b", [1], [2, 6])]), new Uint8Array(6)), /"b" \(bytes 2..6\) overlaps/, ValueError],
      ["a gap between tensors", fileOf(Object.fromEntries([f32("a", [1], [0, 4]), f32("b", [1], [8, 12])]), new Uint8Array(12)), /"b" starts at byte 8, leaving a gap after byte 4/, ValueError],
      ["trailing bytes", fileOf(Object.fromEntries([f32("a", [1], [0, 4])]), new Uint8Array(9)), /cover 4 data bytes but the file has 9/, ValueError],
      ["begin after end", fileOf(Object.fromEntries([f32("a", [0], [4, 0])]), four), /data_offsets \[4,0\]/, ValueError],
      ["shape x dtype not the byte span", fileOf(Object.fromEntries([f32("a", [2, 2], [0, 4])]), four), /shape \[2, 2\] of F32 \(16 bytes\) but data_offsets span 4/, ValueError],
      ["a non-string metadata value", fileOf({ __metadata__: { epoch: 3 } }), /"__metadata__" value "epoch" must be a string/, ValueError],
      ["a non-UTF-8 header", fileOf(null, undefined, "{}").map((b, i) => (i === 8 ? 0xff : b)), /not UTF-8 JSON/, ValueError],
    ];
    for (const [what, bytes, message, type] of cases) {
      it(what, () => expect(() => parseSafetensorsHeader(bytes)).to.throw(type, message));
    }
  });

  it("never throws anything but a KilnError on corrupted bytes (property)", () => {
    const good = encodeSafetensors([
      ["a.weight", { dtype: "float32", shape: [2, 3], data: new Float32Array(6).fill(1.5) }],
      ["a.bias", { dtype: "int32", shape: [3], data: new Int32Array([1, 2, 3]) }],
    ], { note: "x" });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.nat(good.length), (edits, cut) => {
        const bytes = good.slice(0, cut === 0 ? good.length : cut);
        for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
        try {
          const h = parseSafetensorsHeader(bytes);
          for (const e of h.entries) decodeEntry(bytes, e);
        } catch (e) {
          if (!(e instanceof KilnError)) throw e;
        }
      }),
      { numRuns: 2000, seed: 16 },
    );
  });
});
