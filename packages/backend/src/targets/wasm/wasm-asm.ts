/**
 * A WebAssembly binary encoder: LEB128, the opcodes the wasm target emits (scalar i32/f32/f64,
 * SIMD128, control), and a module builder. Instructions are byte arrays concatenated into a
 * function body; nothing here knows about kernels (wasm-render.ts does). Every opcode is checked
 * against wabt's assembler in wasm-asm.test.ts, so a wrong byte is a test failure, not a module
 * that fails validation at run time.
 *
 * Spec: https://webassembly.github.io/spec/core/binary/ (the SIMD opcodes are the 0xfd prefix).
 */

export type Bytes = number[];

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of an integer in the int32 range. */
export function sleb(n: number): Bytes {
  const out: Bytes = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return out.push(b), out;
    out.push(b | 0x80);
  }
}

const scratch = new DataView(new ArrayBuffer(8));

/** The little-endian bytes of a float32 / float64 constant. */
function f32Bytes(v: number): Bytes {
  scratch.setFloat32(0, v, true);
  return [0, 1, 2, 3].map((i) => scratch.getUint8(i));
}
function f64Bytes(v: number): Bytes {
  scratch.setFloat64(0, v, true);
  return [0, 1, 2, 3, 4, 5, 6, 7].map((i) => scratch.getUint8(i));
}

/** Value types. */
export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof T)[keyof typeof T];

/** A memory argument: alignment (log2 bytes) and a constant offset. */
const memarg = (align: number, offset = 0): Bytes => [...uleb(align), ...uleb(offset)];
const simd = (op: number, ...rest: Bytes): Bytes => [0xfd, ...uleb(op), ...rest];
const misc = (op: number): Bytes => [0xfc, ...uleb(op)];

/** Control, locals, constants, memory and scalar arithmetic. */
export const op = {
  unreachable: [0x00], nop: [0x01],
  /** `block`/`loop`/`if` with no result (`blockType` a value type for one result). */
  block: (blockType = 0x40): Bytes => [0x02, blockType],
  loop: (blockType = 0x40): Bytes => [0x03, blockType],
  if: (blockType = 0x40): Bytes => [0x04, blockType],
  else: [0x05], end: [0x0b],
  br: (depth: number): Bytes => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Bytes => [0x0d, ...uleb(depth)],
  return: [0x0f],
  call: (fn: number): Bytes => [0x10, ...uleb(fn)],
  drop: [0x1a], select: [0x1b],
  get: (i: number): Bytes => [0x20, ...uleb(i)],
  set: (i: number): Bytes => [0x21, ...uleb(i)],
  tee: (i: number): Bytes => [0x22, ...uleb(i)],

  i32Load: (offset = 0): Bytes => [0x28, ...memarg(2, offset)],
  f32Load: (offset = 0): Bytes => [0x2a, ...memarg(2, offset)],
  f64Load: (offset = 0): Bytes => [0x2b, ...memarg(3, offset)],
  i32Load8U: (offset = 0): Bytes => [0x2d, ...memarg(0, offset)],
  i32Store: (offset = 0): Bytes => [0x36, ...memarg(2, offset)],
  f32Store: (offset = 0): Bytes => [0x38, ...memarg(2, offset)],
  f64Store: (offset = 0): Bytes => [0x39, ...memarg(3, offset)],
  i32Store8: (offset = 0): Bytes => [0x3a, ...memarg(0, offset)],

  i32Const: (v: number): Bytes => [0x41, ...sleb(v)],
  f32Const: (v: number): Bytes => [0x43, ...f32Bytes(v)],
  f64Const: (v: number): Bytes => [0x44, ...f64Bytes(v)],

  i32Eqz: [0x45], i32Eq: [0x46], i32Ne: [0x47], i32LtS: [0x48], i32LtU: [0x49], i32GtS: [0x4a], i32GtU: [0x4b],
  i32LeS: [0x4c], i32LeU: [0x4d], i32GeS: [0x4e], i32GeU: [0x4f],
  f32Eq: [0x5b], f32Ne: [0x5c], f32Lt: [0x5d], f32Gt: [0x5e], f32Le: [0x5f], f32Ge: [0x60],
  f64Eq: [0x61], f64Ne: [0x62], f64Lt: [0x63], f64Gt: [0x64], f64Le: [0x65], f64Ge: [0x66],
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32DivS: [0x6d], i32DivU: [0x6e], i32RemS: [0x6f], i32RemU: [0x70],
  i32And: [0x71], i32Or: [0x72], i32Xor: [0x73], i32Shl: [0x74], i32ShrS: [0x75], i32ShrU: [0x76],
  f32Abs: [0x8b], f32Neg: [0x8c], f32Ceil: [0x8d], f32Floor: [0x8e], f32Trunc: [0x8f], f32Nearest: [0x90],
  f32Sqrt: [0x91], f32Add: [0x92], f32Sub: [0x93], f32Mul: [0x94], f32Div: [0x95], f32Min: [0x96], f32Max: [0x97],
  f32Copysign: [0x98],
  f64Abs: [0x99], f64Neg: [0x9a], f64Ceil: [0x9b], f64Floor: [0x9c], f64Trunc: [0x9d], f64Nearest: [0x9e],
  f64Sqrt: [0x9f], f64Add: [0xa0], f64Sub: [0xa1], f64Mul: [0xa2], f64Div: [0xa3], f64Min: [0xa4], f64Max: [0xa5],
  i32WrapI64: [0xa7],
  f32ConvertI32S: [0xb2], f32DemoteF64: [0xb6], f64ConvertI32S: [0xb7], f64PromoteF32: [0xbb],
  i32ReinterpretF32: [0xbc], f32ReinterpretI32: [0xbe],
  i32TruncSatF32S: misc(0), i32TruncSatF64S: misc(2), i64TruncSatF64S: misc(6),
};

/** SIMD128 (the 0xfd prefix). */
export const v = {
  load: (offset = 0): Bytes => simd(0x00, ...memarg(4, offset)),
  store: (offset = 0): Bytes => simd(0x0b, ...memarg(4, offset)),
  /** One float32 (or int32) from memory in all four lanes: a broadcast load, one instruction where load + splat are two. */
  load32Splat: (offset = 0): Bytes => simd(0x09, ...memarg(2, offset)),
  const: (bytes: readonly number[]): Bytes => simd(0x0c, ...bytes),
  i32x4Splat: simd(0x11), f32x4Splat: simd(0x13), f64x2Splat: simd(0x14),
  i32x4ExtractLane: (l: number): Bytes => simd(0x1b, l),
  i32x4ReplaceLane: (l: number): Bytes => simd(0x1c, l),
  f32x4ExtractLane: (l: number): Bytes => simd(0x1f, l),
  f32x4ReplaceLane: (l: number): Bytes => simd(0x20, l),
  i32x4Eq: simd(0x37), i32x4Ne: simd(0x38), i32x4LtS: simd(0x39), i32x4GtS: simd(0x3b), i32x4LeS: simd(0x3d), i32x4GeS: simd(0x3f),
  f32x4Eq: simd(0x41), f32x4Ne: simd(0x42), f32x4Lt: simd(0x43), f32x4Gt: simd(0x44), f32x4Le: simd(0x45), f32x4Ge: simd(0x46),
  not: simd(0x4d), and: simd(0x4e), andnot: simd(0x4f), or: simd(0x50), xor: simd(0x51), bitselect: simd(0x52),
  anyTrue: simd(0x53),
  f32x4Ceil: simd(0x67), f32x4Floor: simd(0x68), f32x4Trunc: simd(0x69), f32x4Nearest: simd(0x6a),
  i32x4Abs: simd(0xa0), i32x4Neg: simd(0xa1), i32x4AllTrue: simd(0xa3),
  i32x4Shl: simd(0xab), i32x4ShrS: simd(0xac), i32x4ShrU: simd(0xad),
  i32x4Add: simd(0xae), i32x4Sub: simd(0xb1), i32x4Mul: simd(0xb5),
  i32x4MinS: simd(0xb6), i32x4MaxS: simd(0xb8),
  f32x4Abs: simd(0xe0), f32x4Neg: simd(0xe1), f32x4Sqrt: simd(0xe3), f32x4Add: simd(0xe4), f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6), f32x4Div: simd(0xe7), f32x4Min: simd(0xe8), f32x4Max: simd(0xe9),
  i32x4TruncSatF32x4S: simd(0xf8), f32x4ConvertI32x4S: simd(0xfa),
  /** Lanes of two vectors by byte index (0–15 the first, 16–31 the second). */
  i8x16Shuffle: (lanes: readonly number[]): Bytes => simd(0x0d, ...lanes),
  f32x4DemoteF64x2Zero: simd(0x5e), f64x2PromoteLowF32x4: simd(0x5f), f64x2Add: simd(0xf0),
};

/** A function type: parameter and result value types. */
export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface ImportedFunc {
  readonly module: string;
  readonly name: string;
  readonly type: FuncType;
}

export interface DefinedFunc {
  readonly type: FuncType;
  /** Local declarations after the parameters, in order. */
  readonly locals: readonly ValType[];
  readonly body: Bytes;
  /** Exported under this name when set. */
  readonly export?: string;
}

/** The memory a module imports as `env.memory`: shared memories need a maximum. */
export interface MemoryImport {
  readonly minPages: number;
  readonly maxPages?: number;
  readonly shared?: boolean;
}

export interface ModuleSpec {
  readonly memory: MemoryImport;
  /** Imported functions: indices 0..imports.length-1; defined functions follow. */
  readonly imports: readonly ImportedFunc[];
  readonly funcs: readonly DefinedFunc[];
}

const str = (s: string): Bytes => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: readonly Bytes[]): Bytes => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body];
const typeBytes = (t: FuncType): Bytes => [0x60, ...vec(t.params.map((p) => [p])), ...vec(t.results.map((r) => [r]))];

/** Run-length local declarations: (count, type) groups. */
function localDecls(locals: readonly ValType[]): Bytes {
  const groups: Bytes[] = [];
  for (let i = 0; i < locals.length; ) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    groups.push([...uleb(j - i), locals[i]!]);
    i = j;
  }
  return vec(groups);
}

/**
 * The bytes of a module: one imported memory (`env.memory`), imported functions, defined functions
 * (each with its exports), function types deduplicated.
 * @example
 * const bytes = buildModule({ memory: { minPages: 1 }, imports: [], funcs: [{ type: { params: [], results: [T.i32] }, locals: [], body: [...op.i32Const(7), ...op.end], export: "seven" }] });
 * new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.seven(); // 7
 */
export function buildModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const types: string[] = [];
  const typeIndex = (t: FuncType) => {
    const key = typeBytes(t).join(",");
    let i = types.indexOf(key);
    if (i < 0) i = types.push(key) - 1;
    return i;
  };
  const importEntries = spec.imports.map((f) => [...str(f.module), ...str(f.name), 0x00, ...uleb(typeIndex(f.type))]);
  const m = spec.memory;
  const limits = m.maxPages === undefined ? [0x00, ...uleb(m.minPages)] : [m.shared ? 0x03 : 0x01, ...uleb(m.minPages), ...uleb(m.maxPages)];
  importEntries.unshift([...str("env"), ...str("memory"), 0x02, ...limits]);
  const funcTypes = spec.funcs.map((f) => uleb(typeIndex(f.type)));
  const exports = spec.funcs.flatMap((f, i) => (f.export ? [[...str(f.export), 0x00, ...uleb(spec.imports.length + i)]] : []));
  const codes = spec.funcs.map((f) => {
    const body = [...localDecls(f.locals), ...f.body];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types.map((t) => t.split(",").map(Number)))),
    ...section(2, vec(importEntries)),
    ...section(3, vec(funcTypes)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}
