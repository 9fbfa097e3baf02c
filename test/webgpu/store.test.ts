/**
 * The persistent WGSL store is trusted code, so it is checked: entries are keyed by the renderer,
 * the tuning and a hash of the kernel IR and carry an integrity digest; a corrupt entry, a
 * throwing store and a stored program that does not compile are reported (`onProblem`,
 * `storeProblems`) and the kernel is rendered again — on the device, never quietly on the host.
 * A shader that does not compile is reported as a KernelCompileError with the kernel's name and
 * the WGSL line, not as "Invalid ComputePipeline" at readback.
 */
import { expect } from "chai";
import { KernelCompileError, np, setBackend } from "kiln";
import { clearWebgpuCache, setWgslSourceStore, tuneWebgpu, webgpuCacheStats, webgpuRunStats, type WgslStoreProblem } from "@kiln/backend";
import { decodeEntry, encodeEntry, hash53 } from "../../packages/backend/src/targets/webgpu/webgpu-store.js";
import { useWebgpu } from "./env.js";

/** A store in a Map that records the problems reported to it. */
function memoryStore(opts: { failGet?: boolean; failSet?: boolean } = {}) {
  const entries = new Map<string, string>();
  const problems: WgslStoreProblem[] = [];
  setWgslSourceStore({
    get: (k) => {
      if (opts.failGet) throw new Error("disk on fire");
      return entries.get(k);
    },
    set: (k, v) => {
      if (opts.failSet) throw new Error("quota exceeded");
      entries.set(k, v);
    },
    onProblem: (p) => void problems.push(p),
  });
  return { entries, problems };
}

const expr = () => np.cos(np.array([0.25, 0.5]).mul(3)).sum();
const WANT = Math.fround(Math.cos(0.75)) + Math.fround(Math.cos(1.5));

/** Runs `expr` once, returning its value and the host steps it took. */
async function run(): Promise<{ value: number; hostSteps: number }> {
  const before = webgpuRunStats().hostSteps;
  const value = await expr().item();
  return { value, hostSteps: webgpuRunStats().hostSteps - before };
}

describe("webgpu: the persistent WGSL store is checked, and compile errors name the kernel", () => {
  useWebgpu();
  beforeEach(() => {
    setBackend("webgpu");
    clearWebgpuCache();
  });
  afterEach(() => {
    setWgslSourceStore(null);
    clearWebgpuCache();
  });

  it("entries are integrity-checked against the kernel IR that produced them", () => {
    const prog = { dispatches: [{ source: "fn main() {}", bindings: [0], groups: [1, 1, 1] as const }], scratch: [], paramSizes: new Map() };
    const text = encodeEntry("kernel IR text", prog);
    expect(decodeEntry(text, "kernel IR text").dispatches[0]!.source).to.equal("fn main() {}");
    expect(() => decodeEntry(text, "another kernel IR")).to.throw(/different kernel IR/);
    expect(() => decodeEntry(text.replace("fn main", "fn evil"), "kernel IR text")).to.throw(/digest/);
    expect(() => decodeEntry(text.slice(0, 40), "kernel IR text")).to.throw(/not JSON/);
    expect(() => decodeEntry(JSON.stringify({ dispatches: [] }), "kernel IR text")).to.throw(/format/);
  });

  it("a modified entry is rejected and reported; the kernel is rendered again and runs on the device", async () => {
    const { entries, problems } = memoryStore();
    expect((await run()).value).to.be.closeTo(WANT, 1e-6);
    const [key, text] = [...entries][0]!;
    entries.set(key, text.replace("cos_(", "sin_("));
    clearWebgpuCache();
    const again = await run();
    expect(again.value).to.be.closeTo(WANT, 1e-6);
    expect(again.hostSteps).to.equal(0);
    expect(problems.map((p) => p.kind)).to.deep.equal(["corrupt"]);
    expect(problems[0]!.message).to.contain("digest");
    expect(entries.get(key)).to.equal(text); // replaced by the fresh rendering
  });

  it("a store whose get/set throw is reported, not turned into running everything on the host", async () => {
    const before = webgpuCacheStats().storeProblems;
    const { problems } = memoryStore({ failGet: true, failSet: true });
    const r = await run();
    expect(r.value).to.be.closeTo(WANT, 1e-6);
    expect(r.hostSteps).to.equal(0);
    expect(problems.map((p) => p.kind)).to.deep.equal(["get", "set"]);
    expect(problems[0]!.message).to.contain("disk on fire");
    expect(webgpuCacheStats().storeProblems - before).to.equal(2);
  });

  it("the tuner's measurements survive a store whose set throws (reported)", async function () {
    this.timeout(60_000);
    const { problems } = memoryStore({ failSet: true });
    const report = await tuneWebgpu({ force: true });
    expect(report.source).to.equal("measured");
    expect(problems.map((p) => [p.kind, p.kernel])).to.deep.equal([["set", "tuneWebgpu"]]);
  });

  it("a stored program that does not compile: a KernelCompileError with the kernel and WGSL line, then a fresh rendering", async () => {
    const { entries, problems } = memoryStore();
    await run();
    const [key, text] = [...entries][0]!;
    const entry = JSON.parse(text) as { program: { dispatches: { source: string; bindings: number[]; groups: [number, number, number] }[]; scratch: never[]; paramSizes: [number, number][] } };
    const p = entry.program;
    const broken = p.dispatches.map((d) => ({ ...d, source: d.source.replace("fn main(", "fn main(oops: vec9<f32>, ") }));
    // Integrity-valid (as a buggy renderer would have written it), but not WGSL.
    entries.set(key, reencode(text, { ...p, dispatches: broken }));
    clearWebgpuCache();
    let err: unknown = null;
    try {
      await expr().item();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(KernelCompileError);
    const msg = (err as Error).message;
    expect(msg).to.match(/reduce_\w+|elementwise_\w+/);
    expect(msg).to.match(/WGSL line \d+:\d+/);
    expect(msg).to.contain("vec9");
    expect(msg).not.to.contain("Invalid ComputePipeline");
    expect(problems.map((q) => q.kind)).to.include("compile");
    // The device keeps working: the entry is distrusted, rendered again and replaced.
    const again = await run();
    expect(again.value).to.be.closeTo(WANT, 1e-6);
    expect(again.hostSteps).to.equal(0);
    expect(entries.get(key)).to.equal(text);
  });
});

/** `text`'s entry with another program and that program's digest (what a buggy writer would store). */
function reencode(text: string, program: unknown): string {
  return JSON.stringify({ ...(JSON.parse(text) as object), program, digest: hash53(JSON.stringify(program)) });
}
