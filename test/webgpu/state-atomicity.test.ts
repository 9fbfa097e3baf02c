/**
 * State atomicity under failure, a sample on webgpu (test/state-atomicity.ts; the cpu suite runs
 * every case): a failing jit, scan, vmap or optimizer step leaves every State as it was and its
 * stream silent when the States' tensors live on the device, and a good call afterwards commits.
 */
import { expect } from "chai";
import { State, jit, np, optim } from "kiln";
import { ATOMICITY_CASES, checkAtomic, checkOptimizerAtomic } from "../state-atomicity.js";
import { useWebgpu } from "./env.js";

describe("State atomicity under failure, a sample on webgpu", function () {
  useWebgpu();
  this.timeout(60_000);

  for (const c of ATOMICITY_CASES.filter((_, i) => i % 3 === 0)) {
    it(`${c.name}: the error, every State unchanged, no emission`, () => checkAtomic(c));
  }

  it("Adam.update with grads that do not match the weights changes no weight, moment or step count", () => {
    checkOptimizerAtomic(optim.Adam as never);
  });

  it("a failed jit call leaves the device value readable, and the next call commits", async () => {
    const a = new State(np.ones([2]));
    let fail = true;
    const f = jit((x: unknown) => {
      a.value = a.value.add(1);
      if (fail) throw new RangeError("user");
      return x;
    });
    expect(() => f(np.zeros([1]))).to.throw(RangeError);
    fail = false;
    expect(Array.from(await a.value.data())).to.deep.equal([1, 1]);
    f(np.zeros([1]));
    expect(Array.from(await a.value.data())).to.deep.equal([2, 2]);
  });
});
