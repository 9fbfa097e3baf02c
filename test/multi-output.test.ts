/**
 * Issue 13 item 5: multi-output kernels on cpu. Sibling elementwise outputs of one shape that
 * share their reads are one kernel: a jitted Adam step is one kernel per parameter writing m', v'
 * and the parameter (three kernels each before), SGD with momentum one kernel writing the velocity
 * and the parameter. Values are the one-output-per-kernel schedule's bit for bit and the float64
 * interpreter's to float32 rounding; donated arguments become the outputs' storage where each
 * element is read before it is overwritten, and only there.
 */
import { expect } from "chai";
import { DisposedError, ParamState, type Tensor, jit, np, optim, random } from "kiln";
import { bufferOf, interpret, runPlan, scheduleGraph, type Node } from "kiln/internal";
import { useCpu } from "./util.js";

const SHAPES = [[32, 16], [16], [16, 8], [8], [8, 3]] as const;

function params(): Record<string, ParamState> {
  random.seed(3);
  return Object.fromEntries(SHAPES.map((s, i) => [`p${i}`, new ParamState(random.normal({ size: [...s] }))]));
}
function grads(): Record<string, Tensor> {
  random.seed(4);
  return Object.fromEntries(SHAPES.map((s, i) => [`p${i}`, random.normal({ size: [...s] })]));
}
const hostOf = (t: Tensor) => bufferOf(t.node)!.host!;
const kernelsWith = (outputs: number, ks: readonly { outputs: number }[]) => ks.filter((k) => k.outputs === outputs).length;

/** Adam written out (the update optim.Adam makes), as a pure function of its state. */
function adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, t: number): [Tensor, Tensor, Tensor] {
  const m1 = m.mul(0.9).add(g.mul(0.1)), v1 = v.mul(0.999).add(g.square().mul(0.001));
  const step = m1.div(1 - 0.9 ** t).div(np.sqrt(v1.div(1 - 0.999 ** t)).add(1e-8));
  return [p.sub(step.mul(0.01)), m1, v1];
}

describe("multi-output kernels (cpu)", () => {
  useCpu();

  it(`a jitted Adam step over ${SHAPES.length} parameters: one 3-output kernel per parameter`, () => {
    const ps = params();
    const opt = new optim.Adam(ps, { lr: 1e-2 });
    const step = jit((g: Record<string, Tensor>) => (opt.update(g), opt.stepCount.value));
    const { kernels, stats } = step.lower(grads());
    // One kernel per parameter writing m', v' and the parameter (3 per parameter without
    // multi-output kernels), plus one writing the step count and both bias corrections.
    expect(stats.kernels).to.equal(SHAPES.length + 1);
    expect(kernelsWith(3, kernels)).to.equal(SHAPES.length + 1);
    step(grads());
    expect(step.traceCount()).to.equal(1);
  });

  it("SGD with momentum: one kernel writes the velocity and the parameter", () => {
    const ps = params();
    const opt = new optim.Momentum(ps, { lr: 1e-2, momentum: 0.9 });
    const step = jit((g: Record<string, Tensor>) => (opt.update(g), opt.stepCount.value));
    const { kernels } = step.lower(grads());
    expect(kernelsWith(2, kernels)).to.equal(SHAPES.length);
    expect(kernels.length).to.be.at.most(SHAPES.length + 1);
  });

  it("Adam's values: the ungrouped schedule's bit for bit, the float64 interpreter's to rounding", () => {
    random.seed(5);
    const p = random.normal({ size: [40, 30] }), g = random.normal({ size: [40, 30] });
    const m = random.normal({ size: [40, 30] }).mul(0.1), v = random.uniform({ size: [40, 30] });
    for (const t of [p, g, m, v]) t.dataSync(); // realized: inputs of the plan, not part of it
    const outs = adam(p, g, m, v, 3).map((t) => t.node);
    const isBuffer = (n: Node) => bufferOf(n) !== undefined;
    const run = (multiOutput: boolean) => {
      const { plan, inputs } = scheduleGraph(outs, isBuffer, { multiOutput });
      const arrays = runPlan(plan, inputs.map((n) => bufferOf(n)!.host!));
      return { plan, values: plan.outputs.map((id) => Array.from(arrays[id]!)) };
    };
    const grouped = run(true), plain = run(false);
    expect(grouped.plan.steps.map((s) => s.outputs)).to.deep.equal([3]);
    expect(plain.plan.steps.length).to.equal(3);
    expect(grouped.values).to.deep.equal(plain.values);
    const exact = interpret(outs);
    grouped.values.forEach((vs, k) => vs.forEach((x, i) => expect(x).to.be.closeTo(exact[k]![i]!, 1e-6 * Math.max(1, Math.abs(exact[k]![i]!)))));
    // The jitted step computes the same bits.
    const jitted = jit(adam, { staticArgnums: 4 })(p, g, m, v, 3).map((t) => Array.from(t.dataSync()));
    expect(jitted).to.deep.equal(grouped.values);
  });

  it("donated parameter and moments become the 3-output kernel's outputs; values as without donation", () => {
    random.seed(6);
    const fresh = () => [random.normal({ size: [64] }), random.normal({ size: [64] }).mul(0.1), random.uniform({ size: [64] })].map((t) => (t.dataSync(), t));
    const g = random.normal({ size: [64] });
    g.dataSync();
    const donating = jit((p: Tensor, m: Tensor, v: Tensor, gr: Tensor) => adam(p, gr, m, v, 1), { donateArgnums: [0, 1, 2] });
    const plain = jit((p: Tensor, m: Tensor, v: Tensor, gr: Tensor) => adam(p, gr, m, v, 1));
    expect(donating.lower(...fresh() as [Tensor, Tensor, Tensor], g).kernels.map((k) => k.outputs)).to.deep.equal([3]);
    const a = fresh() as [Tensor, Tensor, Tensor];
    const b = a.map((t) => t.add(0)) as [Tensor, Tensor, Tensor];
    for (const t of [...a, ...b]) t.dataSync();
    const storage = a.map(hostOf);
    const got = donating(...a, g);
    const want = plain(...b, g);
    expect(got.map((t) => Array.from(t.dataSync()))).to.deep.equal(want.map((t) => Array.from(t.dataSync())));
    // Each output took the storage of the input it replaces (read at the element it writes).
    expect(got.map(hostOf)).to.deep.equal(storage);
    expect(() => a[0].add(1)).to.throw(DisposedError);
  });

  it("a donated input read at another element by the same kernel keeps its storage until the kernel ends", () => {
    // a·2 and aᵀ + b share one kernel (both read a); a·2 may not overwrite a while aᵀ still reads it.
    const f = (a: Tensor, b: Tensor) => [a.mul(2), a.T.add(b)] as const;
    const donating = jit(f, { donateArgnums: 0 });
    const a0 = np.arange(20 * 20, { dtype: "float32" }).reshape([20, 20]), b = np.ones([20, 20]);
    a0.dataSync();
    b.dataSync();
    expect(donating.lower(a0.add(0), b).kernels.map((k) => k.outputs)).to.deep.equal([2]);
    const a = a0.add(0);
    a.dataSync();
    const storage = hostOf(a);
    const [twice, sum] = donating(a, b);
    const [wantTwice, wantSum] = f(a0, b);
    expect(Array.from(twice.dataSync())).to.deep.equal(Array.from(wantTwice.dataSync()));
    expect(Array.from(sum.dataSync())).to.deep.equal(Array.from(wantSum.dataSync()));
    expect(hostOf(twice)).to.not.equal(storage);
  });
});
