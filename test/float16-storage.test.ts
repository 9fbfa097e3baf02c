/**
 * float16 (and bfloat16) is stored in 16 bits: a host buffer is a Uint16Array of bit patterns (2
 * bytes per element in `memoryStats`), JS kernels convert on every load and store, library kernels
 * run over the decoded values, and webgpu converts on upload and read-back (the device computes in
 * f32). Every bit pattern of both formats survives a store and a load on cpu and webgpu.
 */
import { expect } from "chai";
import { type Tensor, lowerGraph, memoryStats, np } from "kiln";
import { BITS16, type Bits16, activeExecutor, bufferOf, interpret, numberToHalfBits, realize, realizeSync, setExecutor } from "kiln/internal";
import { destroyGpujs, init, setBackend } from "@kiln/backend";
import { useWebgpu } from "./webgpu/env.js";
import { useCpu } from "./util.js";

/** Exponent and mantissa masks of each format: a NaN has every exponent bit and some mantissa bit. */
const MASKS: { readonly [F in Bits16]: readonly [exponent: number, mantissa: number] } = { float16: [0x7c00, 0x3ff], bfloat16: [0x7f80, 0x7f] };

/**
 * All 65536 values of a format through one kernel: `where(mask, x, y)` with a realized mask loads
 * each element of x and stores it (no rewrite folds it away). Returns the output tensor.
 */
function copyThroughKernel(dtype: Bits16): Tensor {
  const x = np.array(Array.from({ length: 65536 }, (_, h) => BITS16[dtype].fromBits(h)), { dtype });
  const mask = np.array(new Uint8Array(65536).fill(1)).astype("bool");
  return np.where(mask, x, np.zeros([65536], { dtype }));
}

/** Every non-NaN pattern is stored as itself; a NaN pattern stays a NaN. */
function expectAllBits(bits: ArrayLike<number>, dtype: Bits16): void {
  expect(bits.length).to.equal(65536);
  const [e, m] = MASKS[dtype];
  const isNaN = (b: number) => (b & e) === e && (b & m) !== 0;
  const wrong: string[] = [];
  for (let h = 0; h < 65536 && wrong.length < 4; h++) {
    if (isNaN(h) ? !isNaN(bits[h]!) : bits[h] !== h) wrong.push(`0x${h.toString(16)} → 0x${bits[h]!.toString(16)}`);
  }
  expect(wrong, `${dtype} bit patterns changed by a store and a load`).to.deep.equal([]);
}

describe("float16 is stored in 16 bits (cpu)", () => {
  useCpu();

  it("numberToHalfBits rounds every midpoint between adjacent halves to even, and its float32 neighbours to the nearer half", () => {
    const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
    const wrong: string[] = [];
    for (let h = 0; h < 0x7c00 && wrong.length < 4; h++) {
      // The midpoint has 12 significant bits: exact in float32. Up to 0x7bff's, whose upper neighbour is infinity.
      const lo = BITS16.float16.fromBits(h), hi = h === 0x7bff ? 65536 : BITS16.float16.fromBits(h + 1);
      f32[0] = (lo + hi) / 2;
      const mid = u32[0]!;
      for (const [bits, want] of [[mid, h % 2 === 0 ? h : h + 1], [mid - 1, h], [mid + 1, h + 1]] as const) {
        for (const sign of [0, 0x80000000]) {
          u32[0] = (bits | sign) >>> 0;
          const got = numberToHalfBits(f32[0]!), expected = want | (sign ? 0x8000 : 0);
          if (got !== expected) wrong.push(`${f32[0]} → 0x${got.toString(16)}, expected 0x${expected.toString(16)}`);
        }
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it("a float16 buffer is a Uint16Array of half bits", () => {
    const t = np.array([1, -2, 0.1], { dtype: "float16" });
    const host = bufferOf(t.node)!.host!;
    expect(host).to.be.instanceOf(Uint16Array);
    expect(Array.from(host)).to.deep.equal([0x3c00, 0xc000, 0x2e66]);
    expect(Array.from(t.dataSync())).to.deep.equal([1, -2, 0.0999755859375]);
  });

  for (const dtype of ["float16", "bfloat16"] as const) {
    it(`every ${dtype} bit pattern round-trips through a kernel's load and store`, () => {
      const [leaf] = realizeSync([copyThroughKernel(dtype).node]);
      const host = bufferOf(leaf!)!.host!;
      expect(host).to.be.instanceOf(Uint16Array);
      expectAllBits(host, dtype);
    });

    it(`memoryStats counts 2 bytes per ${dtype} element`, () => {
      const before = memoryStats().bytes;
      const t = np.array(new Float32Array(1000).fill(0.5), { dtype });
      expect(memoryStats().bytes - before).to.equal(2000);
      const y = t.mul(3);
      y.dataSync();
      expect(memoryStats().bytes - before).to.equal(4000);
      t.dispose();
      y.dispose();
    });
  }

  it("a JS kernel loads float16 through the half table and stores half bits", () => {
    const x = np.array([1, 2], { dtype: "float16" });
    const src = lowerGraph([x.mul(np.array([3, 4], { dtype: "float16" })).node]).kernels.map((k) => k.source).join("\n");
    expect(src).to.match(/h16\[b\d+\[/);
    expect(src).to.match(/= f16bits\(/);
  });

  it("library kernels (sort, cumsum, scatter-add, argmax) read and write float16 values", () => {
    const v = [0.1, -3, 2.5, 1 / 3, 65504, -0.0001, 7];
    const cases: (() => Tensor)[] = [
      () => np.sort(np.array(v, { dtype: "float16" })),
      () => np.cumsum(np.array(v, { dtype: "float16" })),
      () => np.zeros([3], { dtype: "float16" }).at(np.array([0, 2, 0], { dtype: "int32" })).add(np.array([0.1, 0.2, 0.3], { dtype: "float16" })),
      () => np.argmax(np.array(v, { dtype: "float16" })),
    ];
    for (const f of cases) {
      const got = f();
      expect(Array.from(got.dataSync()), got.dtype).to.deep.equal(Array.from(interpret([f().node])[0]!));
    }
  });

  it("a float16 contraction (packed into float32 panels) matches the interpreter within a half ulp", () => {
    const a = np.array(Array.from({ length: 24 }, (_, i) => (i + 1) / 7), { dtype: "float16" }).reshape([4, 6]);
    const b = np.array(Array.from({ length: 30 }, (_, i) => (i - 9) / 5), { dtype: "float16" }).reshape([6, 5]);
    const got = Array.from(np.matmul(a, b).dataSync());
    const want = Array.from(interpret([np.matmul(a, b).node])[0]!);
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).to.be.at.most(Math.abs(want[i]!) * 2 ** -10, `element ${i}`));
  });

  it("np.array of a Uint16Array with dtype float16 takes values, not bits (as NumPy and JAX)", () => {
    expect(Array.from(np.array(Uint16Array.of(1, 2, 60000), { dtype: "float16" }).dataSync())).to.deep.equal([1, 2, 60000]);
  });

  it("a Float16Array is float16 (the runtime's, or a stand-in global where it has none: Node 20)", () => {
    const g = globalThis as { Float16Array?: new (v: number[]) => ArrayBufferView };
    const native = g.Float16Array;
    // The stand-in is an ArrayBufferView of numbers that is no Float32Array: what the detection sees of a real one.
    if (!native) g.Float16Array = class Float16Array extends Float64Array {} as never;
    try {
      const t = np.array(new g.Float16Array!([0.5, 1.5, 0.1]) as never);
      expect(t.dtype).to.equal("float16");
      expect(Array.from(t.dataSync())).to.deep.equal([0.5, 1.5, 0.0999755859375]);
    } finally {
      if (!native) delete g.Float16Array;
    }
  });
});

describe("float16 is stored in 16 bits (webgpu: f32 on the device, converted on upload and read-back)", () => {
  useWebgpu();

  for (const dtype of ["float16", "bfloat16"] as const) {
    it(`every ${dtype} bit pattern round-trips through upload, a device kernel and read-back`, async () => {
      const [leaf] = await realize([copyThroughKernel(dtype).node]);
      const host = await activeExecutor().read(bufferOf(leaf!)!);
      expect(host).to.be.instanceOf(Uint16Array);
      expectAllBits(host, dtype);
    });
  }

  it("data() returns the half values as a Float32Array", async () => {
    const d = await np.array([0.1, -70000], { dtype: "float16" }).mul(2).data();
    expect(d).to.be.instanceOf(Float32Array);
    expect(Array.from(d)).to.deep.equal([0.199951171875, -Infinity]);
  });
});

describe("float16 and bfloat16 on gpujs (their kernels run on the host, on the stored bits)", () => {
  let previous = "cpu";
  before(async () => {
    previous = activeExecutor().name;
    await init({ tune: false });
    setBackend("gpujs");
  });
  after(() => {
    setExecutor(previous);
    destroyGpujs();
  });

  for (const dtype of ["float16", "bfloat16"] as const) {
    it(`every ${dtype} bit pattern round-trips, and a mixed float32 program matches the interpreter`, async () => {
      const [leaf] = await realize([copyThroughKernel(dtype).node]);
      expectAllBits(await activeExecutor().read(bufferOf(leaf!)!), dtype);
      const f = () => np.exp(np.array([0.1, -1, 2], { dtype })).astype("float32").add(np.array([1, 2, 3]));
      expect(Array.from(await f().data())).to.deep.equal(Array.from(interpret([f().node])[0]!).map(Math.fround));
    });
  }
});
