/**
 * @kiln/core — the lazy graph, Tensors, the np namespace, the reference interpreter, pytrees.
 * @packageDocumentation
 */

export * as np from "./np/index.js";
export * as lax from "./lax/index.js";
export * as scipySpecial from "./scipy-special.js";
export { Tensor, tidy, type ArrayLike, type HostArray, type NestedArray, type NestedBooleans, type NestedNumbers } from "./tensor.js";
export { slice, newaxis, type Index, type Slice } from "./np/indexing.js";
export { stopGradient } from "./np/elementwise.js";
export { tree, type TreeDef } from "./tree.js";
export * from "./errors.js";
export { BITS16, type Bits16, bfloat16BitsToNumber, bits16ToFloat32, bits16Values, halfBitsToNumber, numberToBfloat16Bits, numberToHalfBits, numbersToBits16, roundToBfloat16, roundToHalf } from "./float-bits.js";
export { type DType, type IntDType, type TypedArray, type ValueArray, DTYPES, allocTyped, allocValues, bitcastError, bitcastScalar, castScalar, hostValues, isBits16, storedScalar, toTyped, isFloat, isInt, isUnsigned, itemSize, promoteTypes, wrapInt } from "./dtype.js";
export { type Shape, broadcastShapes, sizeOf, stridesOf } from "./shape.js";
export { type Node, makeNode, constNode, avalString, interning } from "./ir/node.js";
export { type Graph, makeGraph, printGraph, topoSort } from "./ir/graph.js";
export {
  PRIMITIVES, type Prim, type PrimParams, type PrimKind, type Aval, type UnaryPrim, type BinaryPrim, type ReducePrim,
  UNARY_PRIMS, BINARY_PRIMS, REDUCE_PRIMS, Unary, Binary, Elementwise, Movement, Reduce, Commutative, Leaf,
  CONTROL_PRIMS, Control, type ControlPrim,
} from "./ir/primitives.js";
export {
  UNARY_OPS, BINARY_OPS, type UnaryRow, type BinaryRow, type UnaryDTypes, type BinaryDTypes, type CostClass, costClassOf, rowOf, mapRows,
  type DerivOps, type DerivNp, type DerivLax, type UnaryDerivative, type BinaryPartial, type SmoothRange,
  type UnaryDerivativeRule, type BinaryDerivativeRule, type LinearElementwisePrim, roundHalfEven,
} from "./ir/elementwise.js";
export {
  type ControlCall, type CondCall, type WhileCall, type ScanCall, type ControlSpec, type CondSpec, type WhileSpec, type ScanSpec,
  type ControlRuntime, makeControlCall, controlCallOf, evalControl,
} from "./ir/control.js";
export {
  type RewriteRule, type Pass, graphRewrite, optimizeGraph, eliminateDeadCode, eliminateCommonSubexpressions, SIMPLIFY, PIPELINE,
} from "./ir/rewrite.js";
export { interpret } from "./interpret.js";
export { floorDivideScalar, remainderScalar, powerInt32 } from "./arith.js";
export {
  erfF64, erfcF64, erfInvF64, lgammaF64, digammaF64, trigammaF64, i0eF64, i1eF64, ERFINV_CENTRAL, ERFINV_TAIL, LGAMMA_AT_1, LGAMMA_AT_2,
} from "./special-f64.js";
export { DataBuffer, type HostMirror, memoryStats } from "./buffer.js";
export { LruCache } from "./lru.js";
export {
  type Executor, type CompiledGraph, type CompileOptions, compileGraph, registerExecutor, setExecutor, activeExecutor, interpreterExecutor, realize, realizeSync,
  dataNode, hostDataNode, bufferOf,
} from "./realize.js";
export * as npUtil from "./np/util.js";
export {
  bindPlaceholders, dependsOnPlaceholder, substituter, resolveBindings, concreteReadCount, type RebuildHook,
} from "./trace.js";
export {
  State, ParamState, ShortTermState, LongTermState, HiddenState, type AnyState, type StateValue, type StateOptions, type StateTrace,
  withStateTrace, isTracingStates, commitStateWrites, states$, valueSignature,
} from "./state.js";
export { stateStreamErrors$, reportStateStreamError, type StateStreamError } from "./state-stream.js";
export { random, prng, RandomState, DEFAULT_RANDOM, type SizeOption, type DrawOptions, type DistributionParam } from "./random.js";
export { environ, type EnvironSettings } from "./environ.js";
export {
  type StateFilter, type StateClass, type StatePredicate, isStateClass, globToRegExp, toStatePredicate, comparePaths,
  compareSegments, describeValue,
} from "./state-filter.js";
export { luInPlace, solveInto, choleskyOf, detSignOf, logAbsDetOf } from "./matrix.js";
export { compareTotal, sortAlongInto, type NumberArray } from "./sort-order.js";
export { svdF64, svdBatchInto, type SvdF64 } from "./linalg-svd-f64.js";
export { eighOf, eighBatchInto } from "./linalg-eigh-f64.js";
export { qrOf, qrBatchInto } from "./linalg-qr-f64.js";
export { luOf, luBatchInto, type LuParts } from "./linalg-lu-f64.js";
export { fftBatchInto } from "./fft-f64.js";
export { polyRootsOf, polyRootsBatchInto } from "./poly-roots-f64.js";
// Guards of the hostile-input boundary: the per-array size bound, own-key record access, node identity.
export { MAX_ELEMENTS, checkShape, normAxis } from "./shape.js";
export { defineKey, ownValue } from "./tree.js";
export { isNode } from "./ir/node.js";
