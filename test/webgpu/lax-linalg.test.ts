/**
 * lax.linalg on webgpu: lu runs as the host library kernel between device kernels (like eigh, qr
 * and svd, docs/webgpu.md), triangularSolve as the WGSL solve; both agree with cpu.
 */
import { type Tensor, lax, np } from "kiln";
import { describeCpuParity } from "./cpu-parity.js";

const a = () => np.array([[1, 5, 2, 7], [0.5, 3, -2, 1], [9, 4, -3, 1], [0.25, 8, -6, 2]]).mul(1.5);
const lu = (i: number) => () => lax.linalg.lu(a().add(1))[i]! as Tensor;

describeCpuParity("webgpu: lax.linalg", [
  ["lu packed", lu(0), "close"],
  ["lu pivots", lu(1), "exact"],
  ["lu permutation", lu(2), "exact"],
  ["triangularSolve (right, upper, transposed)", () => lax.linalg.triangularSolve(a().add(np.eye(4).mul(10)), np.ones([3, 4]), { transposeA: true }), "close"],
], 1e-5);
