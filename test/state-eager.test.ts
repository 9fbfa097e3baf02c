/**
 * A State's value assigned eagerly is computed when committed (as BrainState's and JAX's arrays
 * are), so a training loop written with eager updates does not recompute the States' history on
 * every read: the graph a step builds stays the same size however many steps ran before.
 */
import { expect } from "chai";
import { ParamState, State, type Tensor, grad, jit, np } from "kiln";
import { bufferOf, topoSort } from "kiln/internal";
import { useCpu } from "./util.js";

/** Nodes a value's graph still has to compute (stops at realized values). */
const pendingNodes = (t: Tensor) => topoSort([t.node], (n) => bufferOf(n) !== undefined).filter((n) => bufferOf(n) === undefined).length;

describe("eager State commits", () => {
  useCpu();

  it("an assigned lazy value is computed at commit; the handle drops its history", () => {
    const s = new State(np.zeros([3]));
    s.value = s.value.add(1).mul(2);
    expect(s.value.node.prim).to.equal("data");
    expect(Array.from(s.value.dataSync())).to.deep.equal([2, 2, 2]);
  });

  it("a training loop with eager SGD updates builds the same graph at step 1 and step 300", () => {
    const w = new ParamState(np.zeros([1, 1]));
    const x = np.linspace(-1, 1, 20).reshape([-1, 1]);
    const y = x.mul(3).add(1);
    const loss = jit((xs: Tensor, ys: Tensor) => np.mean(xs.matmul(w.value).sub(ys).pow(2)));
    const lossGrad = grad(loss, { gradStates: { w }, returnValue: true });
    const sizes: number[] = [];
    for (let step = 0; step < 300; step++) {
      const [g, value] = lossGrad(x, y) as [Record<string, Tensor>, Tensor];
      w.value = w.value.sub(g.w!.mul(0.1));
      sizes.push(pendingNodes(np.sum(x.matmul(w.value))));
      value.itemSync();
    }
    expect(sizes[299]).to.equal(sizes[0]);
    expect(w.value.itemSync()).to.be.closeTo(3, 1e-3);
  });
});
