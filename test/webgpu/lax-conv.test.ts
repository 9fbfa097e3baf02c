/**
 * lax convolutions and reduceWindow (forward and gradients) on webgpu (WGSL) give the cpu
 * backend's float32 values: the composed im2col contraction, its transposed (gradient) forms and
 * the select tree of a max pool all run as generated kernels, no host fallback.
 */
import { type Tensor, grad, lax, np } from "kiln";
import { describeCpuParity } from "./cpu-parity.js";

function f32(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.reshape(np.array(Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 1.5)), shape);
}

const CASES: [string, () => Tensor][] = [
  ["2-d NCHW stride 2 SAME", () => lax.conv(f32([2, 3, 9, 9], 1), f32([4, 3, 3, 3], 2), [2, 2], "SAME")],
  ["2-d NHWC depthwise, rhs dilation", () => lax.convGeneralDilated(f32([2, 8, 8, 4], 1), f32([3, 3, 1, 4], 2), {
    padding: "SAME", rhsDilation: [2, 2], featureGroupCount: 4, dimensionNumbers: ["NHWC", "HWIO", "NHWC"],
  })],
  ["3-d VALID", () => lax.conv(f32([1, 2, 5, 5, 5], 1), f32([3, 2, 2, 2, 2], 2), [1, 1, 1], "VALID")],
  ["convTranspose", () => lax.convTranspose(f32([1, 4, 4, 3], 1), f32([3, 3, 3, 2], 2), [2, 2], "SAME")],
  ["conv lhs gradient", () => grad((x: Tensor) => np.sum(np.square(lax.conv(x, f32([4, 3, 3, 3], 2), [2, 1], "SAME"))))(f32([2, 3, 7, 7], 1)) as Tensor],
  ["conv kernel gradient", () => grad((w: Tensor) => np.sum(np.square(lax.conv(f32([2, 3, 7, 7], 1), w, [1, 1], "SAME"))))(f32([4, 3, 3, 3], 2)) as Tensor],
  ["max pool", () => lax.reduceWindow(f32([2, 3, 8, 8], 1), -Infinity, "max", [1, 1, 3, 3], [1, 1, 2, 2], "SAME")],
  ["max pool gradient", () => grad((x: Tensor) => np.sum(lax.reduceWindow(x, -Infinity, "max", [1, 1, 3, 3], [1, 1, 2, 2], "SAME")))(f32([2, 3, 8, 8], 1)) as Tensor],
  ["sum window, base dilation", () => lax.reduceWindow(f32([6, 5], 1), 0, "sum", [2, 2], [1, 1], [[1, 1], [0, 1]], [2, 1])],
];

describeCpuParity("lax conv / reduceWindow on webgpu", CASES.map(([name, f]) => [name, f, "close"] as const), 1e-4);
