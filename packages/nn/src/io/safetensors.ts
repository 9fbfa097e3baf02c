/**
 * The safetensors file format (https://huggingface.co/docs/safetensors), on plain bytes: an 8-byte
 * little-endian header length N, N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] },
 * "__metadata__"?: { str: str } }`, then the tensors' little-endian bytes, offsets relative to the end
 * of the header. Parsing validates everything the reference implementation does (header bounds,
 * offsets contiguous, in range and covering the buffer, byte length = shape × item size, no duplicate
 * names) and reports it as a `ValueError`; a dtype kiln cannot hold is a `DTypeError`.
 */
import { type DType, DTypeError, type TypedArray, ValueError, allocValues, describeValue, jsonOf } from "@kiln/core";
import { bfloat16BitsToNumber, halfBitsToNumber, numberToBfloat16Bits, numberToHalfBits } from "@kiln/core";

/**
 * One tensor on the host: what a file holds after decoding, or what is about to be written. `data`
 * holds values, as `Tensor.data()` returns them (a float16 tensor's are a Float32Array of halves).
 */
export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

/** How one safetensors dtype is read: its item size, the kiln dtype it becomes, one element. */
interface ReadRule {
  readonly bytes: number;
  readonly dtype: DType;
  readonly get: (view: DataView, offset: number) => number;
  /** Integer types wider than int32 (or unsigned 32-bit) convert only when every value fits. */
  readonly checkRange?: true;
}

// Reading widens to what kiln holds without losing a value: U8/U32 as themselves, U16 to uint32,
// small signed integers to int32, F16 and BF16 as float16 and bfloat16. Types whose values may
// not fit are range-checked per element.
const READ = {
  BOOL: { bytes: 1, dtype: "bool", get: (v, o) => (v.getUint8(o) !== 0 ? 1 : 0) },
  U8: { bytes: 1, dtype: "uint8", get: (v, o) => v.getUint8(o) },
  I8: { bytes: 1, dtype: "int32", get: (v, o) => v.getInt8(o) },
  U16: { bytes: 2, dtype: "uint32", get: (v, o) => v.getUint16(o, true) },
  I16: { bytes: 2, dtype: "int32", get: (v, o) => v.getInt16(o, true) },
  I32: { bytes: 4, dtype: "int32", get: (v, o) => v.getInt32(o, true) },
  U32: { bytes: 4, dtype: "uint32", get: (v, o) => v.getUint32(o, true) },
  I64: { bytes: 8, dtype: "int32", get: (v, o) => Number(v.getBigInt64(o, true)), checkRange: true },
  U64: { bytes: 8, dtype: "int32", get: (v, o) => Number(v.getBigUint64(o, true)), checkRange: true },
  F16: { bytes: 2, dtype: "float16", get: (v, o) => halfBitsToNumber(v.getUint16(o, true)) },
  BF16: { bytes: 2, dtype: "bfloat16", get: (v, o) => bfloat16BitsToNumber(v.getUint16(o, true)) },
  F32: { bytes: 4, dtype: "float32", get: (v, o) => v.getFloat32(o, true) },
  F64: { bytes: 8, dtype: "float64", get: (v, o) => v.getFloat64(o, true) },
} as const satisfies Record<string, ReadRule>;

/** The safetensors dtype names kiln reads. */
export type SafetensorsDType = keyof typeof READ;

/** How each kiln dtype is written: every kiln dtype has a safetensors name (a compile error otherwise). */
const WRITE = {
  bool: { name: "BOOL", set: (v, o, x) => v.setUint8(o, x ? 1 : 0) },
  int32: { name: "I32", set: (v, o, x) => v.setInt32(o, x, true) },
  uint8: { name: "U8", set: (v, o, x) => v.setUint8(o, x) },
  uint32: { name: "U32", set: (v, o, x) => v.setUint32(o, x, true) },
  float16: { name: "F16", set: (v, o, x) => v.setUint16(o, numberToHalfBits(x), true) },
  bfloat16: { name: "BF16", set: (v, o, x) => v.setUint16(o, numberToBfloat16Bits(x), true) },
  float32: { name: "F32", set: (v, o, x) => v.setFloat32(o, x, true) },
  float64: { name: "F64", set: (v, o, x) => v.setFloat64(o, x, true) },
} as const satisfies { [D in DType]: { name: SafetensorsDType; set: (view: DataView, offset: number, x: number) => void } };

/** The reference implementation's bound on the header (a hostile length must not allocate). */
const MAX_HEADER_BYTES = 100_000_000;
const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;

/** A parsed header entry. `begin`/`end` are absolute byte offsets into the file. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly fileDType: SafetensorsDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A parsed header: entries in file order (by offset) and the `__metadata__` strings. */
export interface SafetensorsHeader {
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

const bad = (msg: string) => new ValueError(`safetensors: ${msg}`);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Parses and validates the header of a safetensors file (the tensor bytes are not read).
 * @example parseSafetensorsHeader(bytes).entries.map((e) => e.name) // ["bias", "weight"]
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw bad(`expected the file's bytes as a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length < 8) throw bad(`the file has ${bytes.length} bytes; it must start with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(bytes.length - 8, MAX_HEADER_BYTES))) {
    throw bad(`the header length ${n} does not fit in the file (${bytes.length} bytes, header at most ${MAX_HEADER_BYTES})`);
  }
  const dataStart = 8 + Number(n);
  let text: string, json: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart));
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) throw bad(`the header must be a JSON object, got ${describeValue(json)}`);
  const dup = duplicateTopLevelKey(text);
  if (dup !== undefined) throw bad(`the header names ${jsonOf(dup)} twice`);
  const metadata = parseMetadata(json["__metadata__"]);
  const entries = Object.keys(json)
    .filter((k) => k !== "__metadata__")
    .map((name) => parseEntry(name, json[name], dataStart))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  // As the reference implementation: the tensors tile the data section exactly, so no two
  // overlap and no byte is unaccounted for.
  let at = dataStart;
  for (const e of entries) {
    if (e.begin !== at) {
      throw bad(e.begin < at
        ? `tensor ${jsonOf(e.name)} (bytes ${e.begin - dataStart}..${e.end - dataStart}) overlaps the tensor before it (ending at ${at - dataStart})`
        : `tensor ${jsonOf(e.name)} starts at byte ${e.begin - dataStart}, leaving a gap after byte ${at - dataStart}`);
    }
    at = e.end;
  }
  if (at !== bytes.length) throw bad(`the tensors cover ${at - dataStart} data bytes but the file has ${bytes.length - dataStart}`);
  return { entries, metadata };
}

function parseMetadata(m: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (m === undefined) return out;
  if (!isRecord(m)) throw bad(`"__metadata__" must be an object of strings, got ${describeValue(m)}`);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== "string") throw bad(`"__metadata__" value ${jsonOf(k)} must be a string, got ${describeValue(v)}`);
    out[k] = v;
  }
  return out;
}

function parseEntry(name: string, info: unknown, dataStart: number): SafetensorsEntry {
  const where = `tensor ${jsonOf(name)}`;
  if (!isRecord(info)) throw bad(`${where} must be an object { dtype, shape, data_offsets }, got ${describeValue(info)}`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== "string") throw bad(`${where} has no dtype string`);
  if (!Object.hasOwn(READ, dtype)) {
    throw new DTypeError(`safetensors: ${where} has dtype ${jsonOf(dtype)}, which kiln cannot read (readable: ${Object.keys(READ).join(", ")})`);
  }
  const rule = READ[dtype as SafetensorsDType];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`${where} has shape ${jsonOf(shape)}; expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw bad(`${where} has data_offsets ${jsonOf(offsets)}; expected [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const size = (shape as number[]).reduce((a, d) => a * d, 1);
  if (size * rule.bytes !== end - begin) {
    throw bad(`${where} has shape [${shape.join(", ")}] of ${dtype} (${size * rule.bytes} bytes) but data_offsets span ${end - begin} bytes`);
  }
  return { name, fileDType: dtype as SafetensorsDType, shape: shape as number[], begin: dataStart + begin, end: dataStart + end };
}

/**
 * The first top-level key of a JSON object text that occurs twice (`JSON.parse` silently keeps
 * the last), or undefined. `text` is known to be valid JSON, so tracking depth and strings suffices.
 */
function duplicateTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      let k = j + 1;
      while (/\s/.test(text[k] ?? "")) k++;
      if (depth === 1 && text[k] === ":") {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
      }
      i = j;
    }
  }
  return undefined;
}

/**
 * Decodes one entry's bytes into a kiln dtype (see READ); a value that does not fit int32 is a DTypeError.
 * @example decodeEntry(bytes, header.entries[0]) // { dtype: "float32", shape: [2, 3], data: Float32Array }
 */
export function decodeEntry(bytes: Uint8Array, e: SafetensorsEntry): HostTensor {
  const rule: ReadRule = READ[e.fileDType];
  const n = (e.end - e.begin) / rule.bytes;
  const data = allocValues(rule.dtype, n); // values: F16 decodes to its half values
  const view = new DataView(bytes.buffer, bytes.byteOffset + e.begin, e.end - e.begin);
  for (let i = 0; i < n; i++) {
    const x = rule.get(view, i * rule.bytes);
    if (rule.checkRange && (x < INT32_MIN || x > INT32_MAX)) {
      throw new DTypeError(`safetensors: tensor ${jsonOf(e.name)} (${e.fileDType}) holds ${x} at index ${i}, outside int32, the widest integer kiln has`);
    }
    data[i] = x;
  }
  return { dtype: rule.dtype, shape: e.shape, data };
}

/**
 * The bytes of a safetensors file holding `tensors` (in the given order) and string `metadata`.
 * The header is padded with spaces to a multiple of 8 bytes so every tensor is 8-byte aligned, as
 * the reference writer does.
 * @example encodeSafetensors([["w", { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) }]], {})
 */
export function encodeSafetensors(tensors: readonly (readonly [string, HostTensor])[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header["__metadata__"] = { ...metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const w = WRITE[t.dtype];
    const size = t.data.length * READ[w.name].bytes;
    Object.defineProperty(header, name, {
      value: { dtype: w.name, shape: [...t.shape], data_offsets: [offset, offset + size] }, enumerable: true, writable: true, configurable: true,
    });
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of tensors) {
    const w = WRITE[t.dtype], bytes = READ[w.name].bytes;
    for (let i = 0; i < t.data.length; i++) w.set(view, at + i * bytes, t.data[i]!);
    at += t.data.length * bytes;
  }
  return out;
}
