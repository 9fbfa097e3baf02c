/**
 * kiln's safetensors files against files other tools wrote: the reference implementation's own
 * sample files, and an independent NumPy writer/reader (test/fixtures/safetensors/README.md).
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DTypeError, LongTermState, ParamState, State, type Tensor, nn, np } from "kiln";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "safetensors");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const SCRIPT = join(FIXTURES, "numpy_safetensors.py");
const hasNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;
/** Without NumPy the cross-checks skip locally; under CI=true (.ci/run installs python3-numpy) that is a failure. */
function needNumpy(ctx: Mocha.Context): boolean {
  if (hasNumpy) return true;
  if (process.env.CI === "true") throw new Error("python3 with numpy is required under CI=true (.ci/run installs python3-numpy)");
  ctx.skip();
  return false;
}

/** What `numpy_safetensors.py read` prints. */
type NumpyView = Record<string, { dtype: string; shape: number[]; values: number[] }>;
const numpyRead = (path: string) => JSON.parse(execFileSync("python3", [SCRIPT, "read", path], { encoding: "utf8" })) as NumpyView;
const flat = (t: Tensor) => Array.from(t.dataSync());

describe("safetensors interop", () => {
  it("reads the reference implementation's sample files, one per dtype", () => {
    // Each holds range(-3, 3) cast with NumPy: the unsigned ones wrap around.
    const expected: Record<string, [string, number[]]> = {
      U8: ["uint8", [253, 254, 255, 0, 1, 2]], U16: ["uint32", [65533, 65534, 65535, 0, 1, 2]],
      U32: ["uint32", [4294967293, 4294967294, 4294967295, 0, 1, 2]],
      I8: ["int32", [-3, -2, -1, 0, 1, 2]], I16: ["int32", [-3, -2, -1, 0, 1, 2]], I32: ["int32", [-3, -2, -1, 0, 1, 2]],
      F16: ["float16", [-3, -2, -1, 0, 1, 2]], F32: ["float32", [-3, -2, -1, 0, 1, 2]], F64: ["float64", [-3, -2, -1, 0, 1, 2]],
    };
    for (const [dtype, [kilnDType, values]] of Object.entries(expected)) {
      const { tensors, metadata } = nn.readSafetensors(fixture(`hf-${dtype}.safetensors`));
      expect(metadata).to.deep.equal({ test: "a" });
      const [t] = Object.values(tensors);
      expect([t!.dtype, t!.shape, flat(t!)], dtype).to.deep.equal([kilnDType, [6], values]);
    }
  });

  it("reads the sample U32 values past int32 as uint32 (they used to be refused: kiln had no unsigned dtype)", () => {
    const { tensors } = nn.readSafetensors(fixture("hf-overall.safetensors"));
    expect(tensors["I"]!.dtype).to.equal("uint32");
    expect(flat(tensors["I"]!)).to.deep.equal([4294967293, 4294967294, 4294967295, 0, 1, 2]);
  });

  it("loads the NumPy-written file into States, as NumPy reads it", function () {
    const { tensors, metadata } = nn.readSafetensors(fixture("numpy.safetensors"));
    expect(metadata).to.deep.equal({ producer: "numpy", format: "np" });
    // Spot values that hold without Python; the full comparison follows when NumPy is here.
    expect(flat(tensors["conv.bias"]!)).to.deep.equal([0.5, Math.fround(-2.25e-3), 30000]);
    expect(flat(tensors["steps"]!)).to.deep.equal([0, -(2 ** 31), 2 ** 31 - 1]);
    expect(tensors["mask"]!.dtype).to.equal("bool");
    expect(tensors["empty"]!.shape).to.deep.equal([0, 3]);
    const states: Record<string, State> = {};
    for (const [name, t] of Object.entries(tensors)) states[name] = new ParamState(np.zerosLike(t));
    nn.fromSafetensorsBytes(states, fixture("numpy.safetensors"));
    expect(flat(states["double"]!.value as Tensor)).to.deep.equal([Math.PI, -Math.E, 1e-300, 1e300]);
    if (!needNumpy(this)) return;
    const reference = numpyRead(join(FIXTURES, "numpy.safetensors"));
    for (const [name, r] of Object.entries(reference)) {
      const t = states[name]!.value as Tensor;
      expect([t.shape, flat(t)], name).to.deep.equal([r.shape, r.values]);
    }
  });

  it("writes files NumPy reads back to the same arrays", async function () {
    if (!needNumpy(this)) return;
    const dir = mkdtempSync(join(tmpdir(), "kiln-interop-"));
    try {
      const model = new nn.Linear(3, 2);
      const extra = {
        count: new LongTermState(np.array([1, -2, 2 ** 31 - 1], { dtype: "int32" })),
        mask: new State(np.array([true, false])),
        half: new State(np.array([0.1, -3.5, 60000], { dtype: "float16" })),
        double: new State(np.array([Math.PI, 1e-310], { dtype: "float64" })),
      };
      const path = join(dir, "kiln.safetensors");
      await nn.saveSafetensors({ ...model.states(), ...extra }, path);
      const back = numpyRead(path);
      expect(Object.keys(back)).to.deep.equal(["bias", "count", "double", "half", "mask", "weight"]);
      expect(back["weight"]).to.deep.equal({ dtype: "F32", shape: [3, 2], values: flat(model.weight.value) });
      expect(back["count"]!.values).to.deep.equal([1, -2, 2 ** 31 - 1]);
      expect(back["mask"]).to.deep.equal({ dtype: "BOOL", shape: [2], values: [1, 0] });
      expect(back["double"]!.values).to.deep.equal([Math.PI, 1e-310]);
      // float16 is rounded to binary16 on the way out: NumPy's own rounding of the same values.
      const rounded = JSON.parse(execFileSync("python3", ["-c", "import numpy as n; print(n.array([0.1, -3.5, 60000], n.float32).astype(n.float16).astype(float).tolist())"], { encoding: "utf8" })) as number[];
      expect(back["half"]).to.deep.equal({ dtype: "F16", shape: [3], values: rounded });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
