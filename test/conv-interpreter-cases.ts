/**
 * Convolutions at odd shapes — strides, input and kernel dilation, feature and batch groups,
 * SAME/VALID/explicit padding, 1-d/2-d/3-d, channels-first and channels-last — forward and both
 * gradients, against the float64 interpreter (the spec) on the same float32 inputs. Shared by the
 * cpu suite (conv-interpreter.test.ts) and the webgpu one (webgpu/conv-interpreter.test.ts). Most
 * cases are large enough for the contraction kernel (packed im2col); the small ones take the
 * reduction path.
 */
import { expect } from "chai";
import { type Tensor, grad, lax, np } from "kiln";
import { interpret } from "kiln/internal";

function f32(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.5), { shape });
}

interface ConvCase {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly opts: lax.ConvGeneralDilatedOptions;
}

export const CONV_CASES: readonly ConvCase[] = [
  { name: "2-d NCHW, stride 2, SAME, odd sizes", x: [2, 3, 11, 9], w: [5, 3, 3, 3], opts: { windowStrides: [2, 2], padding: "SAME" } },
  { name: "2-d NHWC/HWIO, kernel dilation 2, VALID", x: [2, 13, 12, 4], w: [3, 3, 4, 6], opts: { rhsDilation: [2, 2], dimensionNumbers: ["NHWC", "HWIO", "NHWC"] } },
  { name: "2-d, 2 feature groups, explicit pads, stride [1, 2]", x: [2, 6, 10, 9], w: [8, 3, 3, 2], opts: { windowStrides: [1, 2], padding: [[1, 2], [0, 1]], featureGroupCount: 2 } },
  { name: "2-d, input dilation [2, 1] (transposed conv), explicit pads", x: [2, 4, 7, 8], w: [5, 4, 3, 3], opts: { lhsDilation: [2, 1], padding: [[2, 2], [1, 1]] } },
  { name: "1-d NWC/WIO, stride 3, SAME", x: [3, 40, 4], w: [5, 4, 6], opts: { windowStrides: [3], padding: "SAME", dimensionNumbers: ["NWC", "WIO", "NWC"] } },
  { name: "3-d NCDHW, VALID", x: [2, 3, 9, 8, 7], w: [4, 3, 2, 3, 2], opts: {} },
  { name: "2-d, 2 batch groups (small: the reduction path)", x: [4, 3, 9, 9], w: [6, 3, 3, 3], opts: { batchGroupCount: 2, padding: "SAME" } },
  { name: "2-d NHWC depthwise, SAME, stride 2", x: [2, 15, 14, 8], w: [3, 3, 1, 8], opts: { windowStrides: [2, 2], padding: "SAME", featureGroupCount: 8, dimensionNumbers: ["NHWC", "HWIO", "NHWC"] } },
];

/** The forward value and both gradients of sum(conv(x, w) · c) for a fixed cotangent c, unrealized. */
function convAndGradients(c: ConvCase): Tensor[] {
  const x = f32(c.x, 1), w = f32(c.w, 2);
  const y = lax.convGeneralDilated(x, w, c.opts);
  const ct = f32(y.shape, 3);
  const [dx, dw] = grad((a: Tensor, b: Tensor) => np.sum(lax.convGeneralDilated(a, b, c.opts).mul(ct)), { argnums: [0, 1] })(x, w) as Tensor[];
  return [y, dx!, dw!];
}

/** Largest error relative to the largest reference magnitude (float32 sums of ≤ ~150 terms). */
const RTOL = 2e-5;

/**
 * Registers one test per case: the active backend's float32 values of the forward convolution and
 * both gradients against the float64 interpreter.
 * @example describeConvAgainstInterpreter("cpu");
 */
export function describeConvAgainstInterpreter(backend: string): void {
  for (const c of CONV_CASES) {
    it(`${c.name}: forward, lhs and kernel gradients on ${backend}`, async () => {
      const outs = convAndGradients(c);
      for (const t of outs) expect(t.node.prim, "an unrealized graph (else the interpreter would only read it back)").to.not.equal("data");
      const want = interpret(outs.map((t) => t.node));
      for (const [k, label] of ["forward", "lhs gradient", "kernel gradient"].entries()) {
        const got = await outs[k]!.data(), ref = want[k]!;
        expect(got.length, label).to.equal(ref.length);
        let scale = 0, err = 0;
        ref.forEach((v, i) => ((scale = Math.max(scale, Math.abs(v))), (err = Math.max(err, Math.abs(got[i]! - v)))));
        expect(err / scale, `${c.name}: ${label}`).to.be.below(RTOL);
      }
    });
  }
}
