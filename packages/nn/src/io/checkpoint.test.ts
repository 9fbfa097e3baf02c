import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DTypeError, KilnError, LongTermState, ParamState, State, StateError, type Tensor, ValueError, np } from "@kiln/core";
import { Linear } from "../layers/linear.js";
import { MLP } from "../layers/sequential.js";
import { Module } from "../module.js";
import { fromSafetensorsBytes, loadSafetensors, readSafetensors, saveSafetensors, toSafetensorsBytes } from "./checkpoint.js";
import { encodeSafetensors } from "./safetensors.js";

class Net extends Module {
  mlp = new MLP([3, 4, 2]);
  steps = new LongTermState(np.array(7, { dtype: "int32" }));
  mask = new State(np.array([true, false]));
  call(x: Tensor) {
    return this.mlp.call(x);
  }
}

/** The typed error a promise rejects with (chai has no promise assertions here). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

const values = (m: Module) => Object.fromEntries(Object.entries(m.states()).map(([k, s]) => [k, (s.value as Tensor).toArraySync()]));

describe("checkpoints (safetensors)", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "kiln-ckpt-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips a module's States through bytes: names are the dotted paths", async () => {
    const a = new Net(), b = new Net();
    a.steps.value = np.array(42, { dtype: "int32" });
    expect(values(b)).to.not.deep.equal(values(a));
    const bytes = await toSafetensorsBytes(a, { metadata: { epoch: "3" } });
    const { tensors, metadata } = readSafetensors(bytes);
    expect(Object.keys(tensors)).to.deep.equal(Object.keys(a.states()));
    expect(metadata).to.deep.equal({ epoch: "3" });
    expect(tensors["mask"]!.dtype).to.equal("bool");
    fromSafetensorsBytes(b, bytes);
    expect(values(b)).to.deep.equal(values(a));
  });

  it("saves to and loads from a file path, a Blob and an ArrayBuffer", async () => {
    const a = new Linear(2, 3), path = join(dir, "linear.safetensors");
    await saveSafetensors(a, path);
    for (const source of [path, new Blob([readFileSync(path)]), new Uint8Array(readFileSync(path)).buffer]) {
      const b = new Linear(2, 3);
      await loadSafetensors(b, source as string);
      expect(values(b)).to.deep.equal(values(a));
    }
  });

  it("saves a filtered subset and a { path: State } record with the same names", async () => {
    const net = new Net();
    const params = net.states(ParamState);
    const fromRecord = readSafetensors(await toSafetensorsBytes(params));
    const fromFilter = readSafetensors(await toSafetensorsBytes(net, { filter: ParamState }));
    expect(Object.keys(fromRecord.tensors)).to.deep.equal(Object.keys(params));
    expect(Object.keys(fromFilter.tensors)).to.deep.equal(Object.keys(params));
    const other = new Net();
    fromSafetensorsBytes(other, await toSafetensorsBytes(params), { filter: ParamState });
    expect(values(other.mlp)).to.deep.equal(values(net.mlp));
  });

  it("stores a pytree-valued State as one tensor per leaf", async () => {
    const s = new State({ m: np.array([1, 2]), v: [np.array(3)] });
    const { tensors } = readSafetensors(await toSafetensorsBytes({ opt: s }));
    expect(Object.keys(tensors)).to.deep.equal(["opt.0", "opt.1"]);
    const t = new State({ m: np.zeros([2]), v: [np.zeros([])] });
    fromSafetensorsBytes({ opt: t }, await toSafetensorsBytes({ opt: s }));
    const v = t.value as { m: Tensor; v: Tensor[] };
    expect([v.m.toArraySync(), v.v[0]!.toArraySync()]).to.deep.equal([[1, 2], 3]);
  });

  describe("a failed load changes no State and emits nothing", () => {
    const cases: [string, (bytes: Uint8Array) => Uint8Array, RegExp, typeof KilnError][] = [
      ["a wrong shape", () => encodeSafetensors([["bias", { dtype: "float32", shape: [4], data: new Float32Array(4) }], ["weight", { dtype: "float32", shape: [2, 3], data: new Float32Array(6) }]], {}),
        /"bias" has shape \[3\] in the State but \[4\] in the file/, StateError],
      ["a dtype that would lose precision", () => encodeSafetensors([["bias", { dtype: "float64", shape: [3], data: new Float64Array(3) }], ["weight", { dtype: "float32", shape: [2, 3], data: new Float32Array(6) }]], {}),
        /"bias" has dtype float32 in the State but F64 \(read as float64\) in the file/, StateError],
      ["a missing and an unexpected tensor", () => encodeSafetensors([["bias", { dtype: "float32", shape: [3], data: new Float32Array(3) }], ["weights", { dtype: "float32", shape: [2, 3], data: new Float32Array(6) }]], {}),
        /missing tensors \["weight"\]; unexpected tensors \["weights"\]/, StateError],
      ["a corrupt file", (b) => b.slice(0, b.length - 1), /cover 36 data bytes but the file has 35/, ValueError],
      ["a value outside int32 in the last tensor", () => {
        const ok = encodeSafetensors([["bias", { dtype: "float32", shape: [3], data: new Float32Array(3) }]], {});
        const header = JSON.parse(new TextDecoder().decode(ok.subarray(8, 8 + Number(new DataView(ok.buffer).getBigUint64(0, true))))) as Record<string, unknown>;
        const text = new TextEncoder().encode(JSON.stringify({ ...header, weight: { dtype: "U64", shape: [2, 3], data_offsets: [12, 60] } }));
        const out = new Uint8Array(8 + text.length + 60).fill(0xff, 8 + text.length + 12);
        new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
        out.set(text, 8);
        return out;
      }, /"weight" \(U64\) holds 18446744073709552000/, DTypeError],
    ];
    for (const [what, corrupt, message, type] of cases) {
      it(what, async () => {
        const model = new Linear(2, 3);
        const before = values(model);
        let emissions = 0;
        const subs = Object.values(model.states()).map((s) => s.value$.subscribe(() => emissions++));
        const seen = emissions; // value$ replays the current value on subscribe
        const bytes = corrupt(await toSafetensorsBytes(new Linear(2, 3)));
        expect(() => fromSafetensorsBytes(model, bytes)).to.throw(type, message);
        expect(values(model)).to.deep.equal(before);
        expect(emissions).to.equal(seen);
        subs.forEach((s) => s.unsubscribe());
      });
    }
  });

  it("a save that cannot write leaves no temporary file behind", async () => {
    const missing = join(dir, "no-such-dir", "m.safetensors");
    const e = await rejection(saveSafetensors(new Linear(1, 1), missing));
    expect((e as NodeJS.ErrnoException).code).to.equal("ENOENT");
    const target = join(dir, "is-a-dir");
    mkdirSync(target);
    await rejection(saveSafetensors(new Linear(1, 1), target)); // rename over a directory fails
    expect(existsSync(`${target}.tmp`)).to.equal(false);
  });

  it("rejects bad arguments with typed errors", async () => {
    const m = new Linear(1, 1);
    expect(() => fromSafetensorsBytes(m, [1, 2] as never)).to.throw(ValueError, /expected the file's bytes/);
    const checks: [Promise<unknown>, RegExp][] = [
      [toSafetensorsBytes(m, { metadata: { epoch: 3 } as never }), /metadata "epoch" must be a string/],
      [saveSafetensors(m, 3 as never), /expected a file path/],
      [saveSafetensors(m, ""), /expected a file path/],
      [loadSafetensors(m, ""), /empty path/],
      [toSafetensorsBytes(m, null as never), /options must be an object/],
    ];
    expect(() => fromSafetensorsBytes(m, new Uint8Array(8), null as never)).to.throw(ValueError, /options must be an object/);
    expect(() => fromSafetensorsBytes({ __metadata__: new State(np.zeros([1])) }, encodeSafetensors([], {}))).to.throw(StateError, /safetensors reserves that name/);
    const path = join(dir, "junk.safetensors");
    writeFileSync(path, "not a checkpoint");
    checks.push([loadSafetensors(m, path), /header length/]);
    for (const [p, message] of checks) {
      const e = await rejection(p);
      expect(e).to.be.instanceOf(ValueError);
      expect((e as Error).message).to.match(message);
    }
  });
});
