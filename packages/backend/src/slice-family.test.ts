/** Concatenations of grid-strided slices lower as one strided read (slice-family.ts). */
import { expect } from "chai";
import { type Node, type Tensor, hostDataNode, interpret, lax, makeNode, Tensor as TensorClass } from "@kiln/core";
import { lowerGraph } from "./index.js";
import { mixedRadix, sliceFamily } from "./slice-family.js";

function f32(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new TensorClass(hostDataNode(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 2), { shape, dtype: "float32" }));
}

describe("backend: slice families", () => {
  it("mixedRadix decomposes row-major window offsets and rejects other orders", () => {
    expect(mixedRadix([[0, 0], [0, 2], [0, 4], [1, 0], [1, 2], [1, 4]])).to.deep.equal({ radices: [2, 3], deltas: [[1, 0], [0, 2]] });
    expect(mixedRadix([[5], [3], [1]])).to.deep.equal({ radices: [3], deltas: [[-2]] });
    expect(mixedRadix([[0, 0], [0, 1], [1, 1], [1, 0]])).to.equal(null);
    expect(mixedRadix([[0], [1], [2], [4]])).to.equal(null);
  });

  it("a concatenate of slices of one source on a grid is a family; different sources or shapes are not", () => {
    const x = f32([4, 10]);
    const sl = (t: Tensor, start: number[], stop: number[], step: number[]) => makeNode("slice", [t.node], { start, stop, step });
    const fam = makeNode("concatenate", [0, 1, 2].map((k) => sl(x, [0, k], [4, k + 7], [1, 2])), { axis: 0 }) as Node<"concatenate">;
    expect(sliceFamily(fam)).to.include({ source: x.node }).and.deep.include({ radices: [3], deltas: [[0, 1]], step: [1, 2] });
    const mixed = makeNode("concatenate", [sl(x, [0, 0], [4, 7], [1, 2]), sl(f32([4, 10]), [0, 1], [4, 8], [1, 2])], { axis: 0 }) as Node<"concatenate">;
    expect(sliceFamily(mixed)).to.equal(null);
    const shapes = makeNode("concatenate", [sl(x, [0, 0], [4, 7], [1, 2]), sl(x, [0, 1], [4, 6], [1, 2])], { axis: 1 }) as Node<"concatenate">;
    expect(sliceFamily(shapes)).to.equal(null);
  });

  it("the family's lowering reads the source once per element and matches the interpreter", () => {
    const x = f32([3, 9, 8]);
    const sl = (start: number[]) => makeNode("slice", [x.node], { start, stop: start.map((s, i) => s + [3, 5, 4][i]!), step: [1, 1, 1] });
    // Offsets (0, 0), (0, 2), (2, 0), (2, 2), (4, 0), (4, 2): a 3×2 grid, stacked on axis 0.
    const pieces = [0, 2, 4].flatMap((a) => [0, 2].map((b) => sl([0, a, b])));
    const cat = new TensorClass(makeNode("concatenate", pieces, { axis: 0 }));
    const { kernels } = lowerGraph(cat);
    expect(kernels.length).to.equal(1);
    expect(kernels[0]!.ir.match(/= load:/g)?.length).to.equal(1);
    const want = interpret([cat.node])[0]!;
    expect(Array.from(cat.dataSync())).to.deep.equal(Array.from(want, (v) => Math.fround(v)));
  });

  it("a convolution packs its im2col operand with one read of the input per element", () => {
    // 3×3 window, 8 feature maps of 28×28 with 16 channels: before, the packing loop read the
    // input once per window offset (nine loads and eight selects per packed element).
    const { kernels } = lowerGraph(lax.conv(f32([8, 16, 28, 28]), f32([32, 16, 3, 3]), [1, 1], "SAME"));
    const conv = kernels.find((k) => k.kind === "matmul")!;
    const input = conv.ir.split("\n").find((l) => /^b\d+: in float32\[100352\]/.test(l))!.split(":")[0]!;
    expect(conv.ir.split(`load:float32 ${input}[`).length - 1).to.equal(1);
  });
});
