/**
 * @kiln/transforms — graph-to-graph transforms: autodiff (vjp, jvp, linearize, grad, valueAndGrad,
 * vectorGrad, jacrev, jacfwd, jacobian, hessian, GradientTransform, customVjp, customJvp,
 * checkpoint), vmap, jit, control flow, and the memory simulation used to measure checkpointing.
 */
export { vjp } from "./vjp.js";
export { jvpGraph, vjpGraph } from "./derive.js";
export { jvp, linearize } from "./jvp.js";
export { makeJaxpr, type Jaxpr } from "./make-jaxpr.js";
export { type AuxOptions } from "./aux.js";
export {
  GradientTransform, grad, valueAndGrad, vectorGrad, gradResult,
  type GradOptions, type GradientTransformOptions, type TransformFn, type ValueAuxFn, type GradParts, type GradFunction,
} from "./grad.js";
export { type GradResult, type ValueAndGradResult, type GradOf, type StateGradsOf, type ArgGradsOf } from "./grad-result.js";
export { type Argnums, type AnyFunction } from "./trace.js";
export { jacrev, jacfwd, jacobian, hessian } from "./jacobian.js";
export { StateFinder, type StateFinderOptions, type StateFinderFn, type StateUsage } from "./state-finder.js";
export { customVjp, customJvp, type CustomVjpFunction, type CustomJvpFunction, type CustomOptions } from "./custom.js";
export { checkpoint, remat, type CheckpointPolicy, type CheckpointOptions } from "./checkpoint.js";
export { peakLiveBytes, memorySchedule, type PeakLiveBytesOptions } from "./memory.js";
export { jit, jitStats, JIT_CACHE_SIZE, type JitOptions, type Jitted, type Lowered } from "./jit.js";
export { cond, whileLoop, scan, forLoop, type ScanOptions } from "./control.js";
export { vmap, type VmapOptions, type AxisSpec, type StateAxes } from "./vmap.js";
