/**
 * Checkpoints: States' values to and from safetensors files, so PyTorch/JAX/NumPy users can read
 * what kiln writes and kiln can load what they wrote. Tensor names are the dotted State paths
 * (`"layers.0.weight"`); a State holding a pytree of Tensors stores one tensor per leaf, named
 * `path.<leaf index>`. Loading checks every name, shape and dtype before it assigns anything, then
 * commits all States at once through `loadStateDictInto` (the `loadStateDict` path).
 */
import { type AnyState, type StateFilter, StateError, type Tensor, ValueError, describeValue, jsonOf, np, npUtil, tree } from "@kiln/core";
import { type Module, collectStates } from "../module.js";
import { loadStateDictInto } from "../state-dict.js";
import { type HostTensor, decodeEntry, encodeSafetensors, parseSafetensorsHeader } from "./safetensors.js";

/** What a checkpoint saves or loads: a module (its States), or a `{ path: State }` record such as `model.states(ParamState)`. */
export type CheckpointTarget = Module | Readonly<Record<string, AnyState>>;

/** Bytes of a safetensors file as a browser or Node hands them over. */
export type SafetensorsSource = Uint8Array | ArrayBuffer | Blob;

/** Options of `toSafetensorsBytes` and `saveSafetensors`. */
export interface SaveSafetensorsOptions {
  /** Save only these States (a State class, a path glob or a predicate, as `module.states(filter)`). */
  filter?: StateFilter;
  /** Strings stored in the header's `__metadata__` (e.g. `{ format: "pt" }`, which `transformers` expects). */
  metadata?: Readonly<Record<string, string>>;
}

/** Options of `fromSafetensorsBytes` and `loadSafetensors`. */
export interface LoadSafetensorsOptions {
  /** Load only these States; the file must then hold exactly their tensors. */
  filter?: StateFilter;
}

/** One tensor name per State leaf. */
interface NamedLeaf {
  readonly name: string;
  readonly path: string;
  readonly leaf: Tensor;
}

function namedLeaves(states: Readonly<Record<string, AnyState>>, who: string): NamedLeaf[] {
  const out: NamedLeaf[] = [];
  const seen = new Set<string>();
  for (const [path, s] of Object.entries(states)) {
    const [leaves] = tree.flatten(s.value);
    const single = leaves.length === 1 && leaves[0] === s.value;
    leaves.forEach((leaf, i) => {
      const name = single ? path : `${path}.${i}`;
      // The header's metadata key cannot name a tensor (the reference implementation reserves it).
      if (name === "__metadata__") throw new StateError(`${who}: a State at the path "__metadata__" cannot be saved: safetensors reserves that name`);
      // `{ a: pytreeState, "a.0": state }` would give two tensors one name.
      if (seen.has(name)) throw new StateError(`${who}: two State values would be stored under the tensor name ${jsonOf(name)}; rename one`);
      seen.add(name);
      out.push({ name, path, leaf: leaf as Tensor });
    });
  }
  return out;
}

function checkMetadata(m: unknown, who: string): Record<string, string> {
  if (m === undefined) return {};
  if (m === null || typeof m !== "object" || Array.isArray(m)) throw new ValueError(`${who}: metadata must be an object of strings, got ${describeValue(m)}`);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== "string") throw new ValueError(`${who}: metadata ${jsonOf(k)} must be a string, got ${describeValue(v)}`);
  }
  return m as Record<string, string>;
}

/**
 * The States' current values as the bytes of a safetensors file (works in Node and browsers;
 * async because a webgpu value is read back asynchronously). In a browser, offer it as a download
 * with `new Blob([bytes])`.
 * @example
 * const bytes = await nn.toSafetensorsBytes(model, { metadata: { epoch: "3" } });
 * const url = URL.createObjectURL(new Blob([bytes])); // a download link in a browser
 */
export async function toSafetensorsBytes(target: CheckpointTarget, opts: SaveSafetensorsOptions = {}, ...extra: undefined[]): Promise<Uint8Array> {
  const who = "toSafetensorsBytes";
  opts = npUtil.optionsOf(who, opts, who, extra);
  const metadata = checkMetadata(opts.metadata, who);
  const named = namedLeaves(collectStates(target, opts.filter, who), who);
  const tensors = await Promise.all(
    named.map(async ({ name, leaf }) => [name, { dtype: leaf.dtype, shape: leaf.shape, data: await leaf.data() }] as const),
  );
  return encodeSafetensors(tensors, metadata);
}

/** A file's tensors as kiln Tensors (see `readSafetensors`). */
export interface SafetensorsContents {
  readonly tensors: Readonly<Record<string, Tensor>>;
  readonly metadata: Readonly<Record<string, string>>;
}

const toTensor = (t: HostTensor): Tensor => np.array(t.data, { dtype: t.dtype, shape: t.shape });

function asBytes(src: unknown, who: string): Uint8Array {
  if (src instanceof Uint8Array) return src;
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  throw new ValueError(`${who}: expected the file's bytes (Uint8Array or ArrayBuffer), got ${describeValue(src)}`);
}

/**
 * Every tensor of a safetensors file, by name, with the header's metadata. Dtypes are widened to
 * what kiln holds without loss: U8 → uint8, U16/U32 → uint32, I8/I16 → int32, I64/U64 → int32 when every value fits
 * (`DTypeError` otherwise), BF16 → bfloat16, F16 → float16, BOOL → bool. A malformed file is a `ValueError`.
 * @example
 * const { tensors, metadata } = nn.readSafetensors(bytes);
 * tensors["layer1.weight"].shape // [784, 128]
 */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsContents {
  const data = asBytes(bytes, "readSafetensors");
  const header = parseSafetensorsHeader(data);
  const tensors: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  for (const e of header.entries) tensors[e.name] = toTensor(decodeEntry(data, e));
  return { tensors, metadata: header.metadata };
}

const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/**
 * Loads a safetensors file's bytes into the States: the file must hold exactly one tensor per
 * State leaf, with the State's shape and (after the lossless widening of `readSafetensors`) its
 * dtype. Everything is decoded and checked first; on any problem it throws (`StateError` for a
 * mismatch, `ValueError`/`DTypeError` for a bad file) and no State changes.
 * @example nn.fromSafetensorsBytes(model, new Uint8Array(await file.arrayBuffer()));
 */
export function fromSafetensorsBytes(target: CheckpointTarget, bytes: Uint8Array | ArrayBuffer, opts: LoadSafetensorsOptions = {}, ...extraArgs: undefined[]): void {
  const who = "fromSafetensorsBytes";
  opts = npUtil.optionsOf(who, opts, who, extraArgs);
  const states = collectStates(target, opts.filter, who);
  const data = asBytes(bytes, who);
  const header = parseSafetensorsHeader(data);
  const named = namedLeaves(states, who);
  const entries = new Map(header.entries.map((e) => [e.name, e]));
  const missing = named.filter((n) => !entries.has(n.name)).map((n) => n.name);
  const wanted = new Set(named.map((n) => n.name));
  const extra = header.entries.filter((e) => !wanted.has(e.name)).map((e) => e.name);
  if (missing.length || extra.length) {
    const parts = [];
    if (missing.length) parts.push(`missing tensors ${jsonOf(missing)}`);
    if (extra.length) parts.push(`unexpected tensors ${jsonOf(extra)}`);
    throw new StateError(`${who}: the file does not match the States: ${parts.join("; ")}`);
  }
  const problems: string[] = [];
  const decoded = new Map<string, HostTensor>();
  for (const { name, leaf } of named) {
    const e = entries.get(name)!;
    const t = decodeEntry(data, e);
    if (t.shape.length !== leaf.shape.length || t.shape.some((d, j) => d !== leaf.shape[j])) {
      problems.push(`${jsonOf(name)} has shape ${fmt(leaf.shape)} in the State but ${fmt(t.shape)} in the file`);
    } else if (t.dtype !== leaf.dtype) {
      problems.push(`${jsonOf(name)} has dtype ${leaf.dtype} in the State but ${e.fileDType} (read as ${t.dtype}) in the file`);
    }
    decoded.set(name, t);
  }
  if (problems.length) throw new StateError(`${who}: ${problems.join("; ")}`);
  const snapshot: Record<string, unknown> = {};
  for (const [path, s] of Object.entries(states)) {
    const [, def] = tree.flatten(s.value);
    const leaves = named.filter((n) => n.path === path).map((n) => toTensor(decoded.get(n.name)!));
    Object.defineProperty(snapshot, path, { value: tree.unflatten(def, leaves), enumerable: true });
  }
  loadStateDictInto(states, snapshot as never, who);
}

/** The part of Node's `fs/promises` used here (@kiln/nn is built without Node's types: it runs in browsers). */
interface NodeFsPromises {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, opts: { force: boolean }): Promise<void>;
}

/**
 * A file-system failure (missing file or directory, permissions) as a KilnError: a ValueError
 * naming the op and the path, keeping Node's `code` ("ENOENT") and the original error as `cause`.
 */
function fsError(who: string, action: string, path: string, e: unknown): ValueError {
  const err = new ValueError(`${who}: cannot ${action} ${JSON.stringify(path)}: ${e instanceof Error ? e.message : String(e)}`);
  Object.assign(err, { cause: e, code: (e as { code?: unknown } | null)?.code });
  return err;
}

/** Node's `fs/promises`, imported only when a path is used, so browser bundles never pull it in. */
async function nodeFs(who: string): Promise<NodeFsPromises> {
  const name = "node:fs/promises"; // a variable specifier: bundlers do not try to resolve it
  try {
    return (await import(/* @vite-ignore */ name)) as NodeFsPromises;
  } catch {
    throw new ValueError(`${who}: file paths need Node's fs; in a browser pass bytes, a Blob or a File (toSafetensorsBytes / fromSafetensorsBytes)`);
  }
}

/**
 * Writes the States' values to a safetensors file (Node). The bytes go to `path + ".tmp"` first and
 * are renamed over `path`, so an interrupted save never leaves a truncated checkpoint.
 * @example await nn.saveSafetensors(model, "model.safetensors");
 */
export async function saveSafetensors(target: CheckpointTarget, path: string, opts: SaveSafetensorsOptions = {}): Promise<void> {
  const who = "saveSafetensors";
  if (typeof path !== "string" || path === "") throw new ValueError(`${who}: expected a file path, got ${describeValue(path)}; in a browser use toSafetensorsBytes`);
  const bytes = await toSafetensorsBytes(target, opts);
  const fs = await nodeFs(who);
  // Written beside the target and renamed over it, so a reader never sees half a file; a failed
  // write or rename (missing directory, permissions) leaves no temporary file behind.
  const tmp = `${path}.tmp`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw fsError(who, "write", path, e);
  }
}

/**
 * Loads a safetensors file into the States, all or nothing (see `fromSafetensorsBytes`). `source`
 * is a file path (Node), a `File`/`Blob` (browsers: an `<input type="file">`), or the bytes.
 * @example await nn.loadSafetensors(model, "model.safetensors");
 */
export async function loadSafetensors(target: CheckpointTarget, source: string | SafetensorsSource, opts: LoadSafetensorsOptions = {}): Promise<void> {
  const who = "loadSafetensors";
  if (source === "") throw new ValueError(`${who}: expected a file path, a File/Blob or the bytes, got an empty path`);
  let bytes: Uint8Array | ArrayBuffer;
  if (typeof source === "string") {
    const fs = await nodeFs(who);
    try {
      bytes = await fs.readFile(source);
    } catch (e) {
      throw fsError(who, "read", source, e);
    }
  }
  else if (typeof Blob !== "undefined" && source instanceof Blob) bytes = await source.arrayBuffer();
  else bytes = asBytes(source, who);
  fromSafetensorsBytes(target, bytes, opts);
}
