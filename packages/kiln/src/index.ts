/**
 * kiln — JAX for TypeScript: lazy arrays (`np`, `Tensor`), graph transforms (`grad`, `vmap`, `jit`,
 * control flow), States, randomness, backends and `nn`. Every name exported here is public and
 * documented. Compiler and runtime internals (graph nodes, primitives, rewrite passes, executors,
 * kernels, renderers) are in `kiln/internal`, which is unstable: it may change in any release.
 * @example
 * import { np, grad, type Tensor } from "kiln";
 * const f = (x: Tensor) => np.sum(x.mul(x));
 * grad(f)(np.array([1, 2, 3])).toArraySync(); // [2, 4, 6]
 * @packageDocumentation
 */
// An explicit list, not `export *`: test/public-surface.test.ts snapshots it, so an accidental
// export is a visible diff.

// ------------------------------------------------------------------ arrays (@kiln/core)
export {
  np, lax, scipySpecial, Tensor, tidy, slice, newaxis, stopGradient, tree, memoryStats, MAX_ELEMENTS,
  type ArrayLike, type HostArray, type NestedArray, type NestedBooleans, type NestedNumbers, type Index, type Slice, type TreeDef, type DType, type TypedArray,
  type Shape,
} from "@kiln/core";

// ------------------------------------------------------------------ errors (@kiln/core)
export {
  KilnError, ShapeError, DTypeError, IndexError, ValueError, ConcretizationError, BackendUnavailableError, StateError,
  DisposedError, KernelCompileError, KernelTrapError, CoercionError, AsyncFunctionError, KilnTypeError,
} from "@kiln/core";

// ------------------------------------------------------------------ State, randomness, environment (@kiln/core)
export {
  State, ParamState, ShortTermState, LongTermState, HiddenState, states$, stateStreamErrors$,
  type AnyState, type StateValue, type StateOptions, type StateStreamError,
  type StateFilter, type StateClass, type StatePredicate,
  random, prng, RandomState, DEFAULT_RANDOM, type SizeOption, type DrawOptions, type DistributionParam,
  environ, type EnvironSettings,
} from "@kiln/core";

// ------------------------------------------------------------------ transforms (@kiln/transforms)
export {
  grad, valueAndGrad, vectorGrad, GradientTransform, jacrev, jacfwd, jacobian, hessian, vjp, jvp, linearize, makeJaxpr,
  customVjp, customJvp, checkpoint, remat, vmap, jit, JIT_CACHE_SIZE, cond, whileLoop, scan, forLoop, StateFinder,
  type GradOptions, type GradientTransformOptions, type TransformFn, type ValueAuxFn, type Argnums, type AnyFunction,
  type CustomVjpFunction, type CustomJvpFunction, type CustomOptions, type CheckpointPolicy, type CheckpointOptions,
  type VmapOptions, type AxisSpec, type StateAxes, type JitOptions, type Jitted, type Lowered, type ScanOptions,
  type StateFinderOptions, type StateFinderFn, type StateUsage, type Jaxpr, type AuxOptions,
} from "@kiln/transforms";

// ------------------------------------------------------------------ backends (@kiln/backend)
export {
  backends, init, setBackend, getBackend, setCpuThreads, cpuThreads, destroyGpu, lowerGraph, kernelCacheStats,
  tuneWebgpu, webgpuRunStats, webgpuCacheStats, setWgslSourceStore, profile, gpujsStats, gpujsMode, destroyGpujs, wasmKernelStats, setWasmMinElements,
  setWebgpuHostPlanLimit, type HostPlanLimit, type BackendInfo, type GpujsMode, type GpujsInitOptions, type BackendName, type InitOptions, type AdapterSummary, type LoweredGraph, type LoweredKernelInfo,
  type PlanStats, type TuneOptions, type TuneReport, type WgslSourceStore, type WgslStoreProblem, type Profile, type KernelProfile, type ProfileOptions,
} from "@kiln/backend";

// ------------------------------------------------------------------ modules and training (@kiln/nn)
export { nn, optim, data, treefyStates, type NestedStates, type TreefiedStates } from "@kiln/nn";
