/**
 * The systematic hostile-input sweep (test/hostile-sweep.ts) over the whole public surface on the
 * cpu backend: every exported function, constructor and public method, every hostile value in
 * every argument position, a result or a KilnError, and no State changed by a call that threw.
 * The second case pins the escapes the sweep found, one by one.
 */
import { expect } from "chai";
import { ShapeError, State, StateError, Tensor, ValueError, environ, lax, lowerGraph, nn, np, setBackend, states$, tree, whileLoop } from "kiln";
import { inScratchDirectory, sweep } from "./hostile-sweep.js";
import { useCpu } from "./util.js";

describe("hostile-input sweep over the whole public surface (cpu)", function () {
  useCpu();
  // ~100,000 calls: about 20 s of CPU time, more wall time on a loaded machine.
  this.timeout(240_000);
  inScratchDirectory();

  it("every exported function, constructor, Tensor, State and optimizer method works or throws a KilnError for every hostile value in every position", async () => {
    expect(await sweep()).to.deep.equal([]);
  });

  it("the escapes it found are typed errors now", async () => {
    const x = np.array([1, 2]);
    // Loops over a user-given count: polyder stops at the degree, trilIndices bounds its host loop.
    const t0 = performance.now();
    expect(np.polyder([1, 2, 3], 2 ** 53).shape).to.deep.equal(np.polyder([1, 2, 3], 4).shape);
    expect(performance.now() - t0).to.be.below(2000);
    expect(() => np.polyint([1, 2], 1e9)).to.throw(ValueError, /more than the 4096 integrations/);
    expect(() => np.trilIndices(2 ** 20)).to.throw(ShapeError, /more than the 67108864 \(2\^26\)/);
    expect(() => np.diagIndices(2, 2 ** 53)).to.throw(ValueError, /would return/);
    // A JS integer loop carry outside int32 wrapped (1e12 started at -727379968).
    expect(() => whileLoop((i: Tensor) => np.less(i, 3), (i: Tensor) => np.add(i, 1), 1e12)).to.throw(ValueError, /1000000000000 in init does not fit in int32/);
    // State's commit steps are not public: a caller could store a cyclic object past the checks.
    const s = new State(np.ones([2]));
    expect((s as unknown as Record<string, unknown>).assignCommitted).to.equal(undefined);
    expect((s as unknown as Record<string, unknown>).emit).to.equal(undefined);
    expect(() => states$(undefined as never)).to.throw(StateError, /array or a record of States/);
    expect(() => states$([1] as never)).to.throw(StateError, /must be a State/);
    // environ settings go into jit's cache key: they must be JSON data.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => environ.set({ k: cyclic })).to.throw(ValueError, /setting "k" must be plain data/);
    expect(() => environ.set({ k: 10n })).to.throw(ValueError, /plain data/);
    expect(environ.signature()).to.equal('[["fit",true]]');
    // Extra positional arguments: NumPy's out is not dropped; JS array callbacks keep working.
    expect(() => (np.exp as (...a: unknown[]) => Tensor)(x, x)).to.throw(ValueError, /exp: takes 1 positional argument but 2 were given/);
    expect(() => (np.add as (...a: unknown[]) => Tensor)(x, x, x)).to.throw(ValueError, /add: takes 2 positional arguments but 3 were given/);
    expect([x, x].map(np.exp as (t: Tensor) => Tensor).map((t) => t.shape)).to.deep.equal([[2], [2]]);
    expect(([x, x, x] as Tensor[]).reduce(np.add as (a: Tensor, b: Tensor) => Tensor).toArraySync()).to.deep.equal([3, 6]);
    expect(() => np.vsplit(np.array(4), 2)).to.throw(ShapeError, /vsplit: only works on arrays of 1 or more dimensions, got shape \[\]/);
    // Constructors: a misspelt option is named; abstract bases say so.
    expect(() => new (nn.Dropout as new (...a: unknown[]) => unknown)(0.5, { inplace: true })).to.throw(ValueError, /unknown option 'inplace'/);
    expect(() => new (nn.Dynamics as unknown as new (n: number) => unknown)(3)).to.throw(ValueError, /nn.Dynamics is an abstract base class/);
    // Callbacks and structures the sweep fed garbage to.
    expect(() => tree.map(1 as never, [1])).to.throw(ValueError, /tree.map: f must be a function/);
    expect(() => tree.leaves([1], 1 as never)).to.throw(ValueError, /isLeaf must be a function/);
    expect(() => tree.numLeaves({ kind: "array" } as never)).to.throw(ValueError, /needs a children array/);
    expect(tree.numLeaves(tree.structure([1, [2, { a: 3 }]]))).to.equal(3);
    expect(() => lowerGraph(1 as never)).to.throw(ValueError, /lowerGraph: expected a Tensor, a graph Node/);
    expect(() => setBackend(Symbol("cpu") as never)).to.throw(ValueError, /backend name must be a string/);
    const cyclicArray: unknown[] = [1];
    cyclicArray.push(cyclicArray);
    expect(() => np.unravelIndex(cyclicArray as never, [2, 3])).to.throw(ShapeError, /contains itself/);
    // Session 30 (the functions the sweep had no base call for): a window wider than the input
    // built one slice per window offset (10^12 for [1e6, 1e6]) and hung.
    const xf = np.array([[1, 2, 3], [4, 5, 6]]);
    const t1 = performance.now();
    expect(lax.reduceWindow(xf, 0, "sum", [1e6, 1e6]).shape).to.deep.equal([0, 0]);
    expect(performance.now() - t1).to.be.below(2000);
    expect(() => lax.reduceWindow(np.ones([2048, 1024]), 0, "sum", [2048, 1024])).to.throw(ValueError, /a window of 2097152 elements/);
    expect(lax.reduceWindow(xf, 0, "sum", [2, 3]).toArraySync()).to.deep.equal([[21]]);
    expect(() => new (nn.Neuron as unknown as new (n: number, o: object) => unknown)(3, {})).to.throw(ValueError, /nn.Neuron is an abstract base class/);
    expect(() => new Tensor(np.ones([2]).node, "yes" as never)).to.throw(ValueError, /weak must be a boolean/);
    // A file that cannot be read is a KilnError that keeps Node's code.
    const e = await nn.loadSafetensors(new nn.Linear(1, 1), "/nonexistent/kiln/m.safetensors").then(() => null, (err: unknown) => err);
    expect(e).to.be.instanceOf(ValueError);
    expect((e as { code?: string }).code).to.equal("ENOENT");
  });
});
