/**
 * Every opcode of the encoder against wabt's assembler (a maintained toolchain, dev dependency):
 * each instruction is assembled from its text form and the function body bytes must match ours.
 * Nullary instructions are checked by name (`i32TruncSatF32S` ↔ `i32.trunc_sat_f32_s`), so a new
 * entry in `op`/`v` is checked without editing this file.
 */
import { expect } from "chai";
import wabtInit from "wabt";
import { type Bytes, T, buildModule, op, sleb, uleb, v } from "./wasm-asm.js";

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

/** The body of the module's only function, without its local declarations and final `end`. */
function bodyOf(wasm: Uint8Array): number[] {
  let i = 8;
  let code: number[] = [];
  while (i < wasm.length) {
    const id = wasm[i++]!;
    let size = 0, shift = 0, b: number;
    do {
      b = wasm[i++]!;
      size |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (id === 10) code = Array.from(wasm.subarray(i, i + size));
    i += size;
  }
  // count (1), body size (LEB), local groups (0), instructions…, end
  let j = 1;
  while (code[j]! & 0x80) j++;
  j++;
  expect(code[j], "no locals").to.equal(0);
  return code.slice(j + 1, -1);
}

function assemble(wabt: Wabt, text: string): number[] {
  const m = wabt.parseWat("t.wat", `(module (memory 1) (func ${text}))`, { simd: true, sat_float_to_int: true });
  try {
    const wasm = new Uint8Array(m.toBinary({}).buffer);
    return bodyOf(wasm);
  } finally {
    m.destroy();
  }
}

/** `i32TruncSatF32S` → `i32.trunc_sat_f32_s`, `f32x4Add` → `f32x4.add`, `andnot` → `v128.andnot`. */
function watName(key: string): string {
  const m = /^(i32x4|f32x4|f64x2|i32|i64|f32|f64)(.*)$/.exec(key);
  if (!m) return ["not", "and", "andnot", "or", "xor", "bitselect", "anyTrue"].includes(key) ? `v128.${snake(key)}` : key;
  const parts = m[2]!.match(/[A-Z][a-z]*(\d+x\d+|\d+)?/g)!;
  return `${m[1]}.${parts.map((p) => p.toLowerCase()).join("_")}`;
}
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe("wasm encoder: opcodes match wabt", function () {
  this.timeout(30_000);
  let wabt: Wabt;
  before(async () => {
    wabt = await wabtInit();
  });

  it("every nullary instruction, by name", () => {
    let n = 0;
    for (const table of [op, v] as Record<string, Bytes | ((...a: never[]) => Bytes)>[]) {
      for (const [key, bytes] of Object.entries(table)) {
        if (typeof bytes === "function" || key === "else" || key === "end") continue; // structured: checked with their blocks
        expect(bytes, `${key} (${watName(key)})`).to.deep.equal(assemble(wabt, watName(key)));
        n++;
      }
    }
    expect(n).to.be.greaterThan(120);
  });

  it("instructions with immediates", () => {
    const lanes = Array.from({ length: 16 }, (_, i) => i * 17);
    const cases: [Bytes, string][] = [
      [[...op.block(), ...op.end], "block end"], [[...op.loop(), ...op.end], "loop end"], [[...op.if(), ...op.end], "if end"],
      [[...op.if(T.i32), ...op.nop, ...op.else, ...op.nop, ...op.end], "if (result i32) nop else nop end"], [[...op.block(T.f64), ...op.end], "block (result f64) end"],
      [op.br(3), "br 3"], [op.brIf(200), "br_if 200"], [op.call(0), "call 0"],
      [op.get(5), "local.get 5"], [op.set(300), "local.set 300"], [op.tee(7), "local.tee 7"],
      [op.i32Load(), "i32.load"], [op.f32Load(12), "f32.load offset=12"], [op.f64Load(8), "f64.load offset=8"], [op.i32Load8U(3), "i32.load8_u offset=3"],
      [op.i32Store(), "i32.store"], [op.f32Store(4), "f32.store offset=4"], [op.f64Store(), "f64.store"], [op.i32Store8(1), "i32.store8 offset=1"],
      [op.i32Const(-1), "i32.const -1"], [op.i32Const(2 ** 31 - 1), "i32.const 2147483647"], [op.i32Const(-(2 ** 31)), "i32.const -2147483648"],
      [op.i32Const(64), "i32.const 64"], [op.f32Const(1.5), "f32.const 1.5"], [op.f32Const(-0), "f32.const -0"],
      [op.f64Const(0.1), "f64.const 0.1"], [op.f64Const(Infinity), "f64.const inf"],
      [v.load(), "v128.load"], [v.load(32), "v128.load offset=32"], [v.store(16), "v128.store offset=16"],
      [v.load32Splat(), "v128.load32_splat"], [v.load32Splat(12), "v128.load32_splat offset=12"],
      [v.const(lanes), `v128.const i8x16 ${lanes.map((x) => (x > 127 ? x - 256 : x)).join(" ")}`],
      [v.i32x4ExtractLane(3), "i32x4.extract_lane 3"], [v.i32x4ReplaceLane(1), "i32x4.replace_lane 1"],
      [v.f32x4ExtractLane(2), "f32x4.extract_lane 2"], [v.f32x4ReplaceLane(0), "f32x4.replace_lane 0"],
    ];
    for (const [bytes, text] of cases) expect(bytes, text).to.deep.equal(assemble(wabt, text));
  });

  it("LEB128 round numbers and module building", () => {
    expect(uleb(624485)).to.deep.equal([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).to.deep.equal([0xc0, 0xbb, 0x78]);
    const bytes = buildModule({
      memory: { minPages: 1 },
      imports: [{ module: "m", name: "f", type: { params: [T.f64], results: [T.f64] } }],
      funcs: [{ type: { params: [T.f64], results: [T.f64] }, locals: [T.i32, T.i32, T.f32], body: [...op.get(0), ...op.call(0), ...op.end], export: "g" }],
    });
    expect(WebAssembly.validate(bytes)).to.equal(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const g = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory }, m: { f: (x: number) => x * 2 } }).exports.g as (x: number) => number;
    expect(g(21)).to.equal(42);
  });
});
