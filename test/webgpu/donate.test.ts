/**
 * jit's donateArgnums on webgpu: a donated argument's device buffer becomes the output's storage
 * where the plan allows it (the CPU backend's rules, host/donate.ts) — including an output
 * computed by reading that same buffer, through an aliased binding — and the argument is disposed.
 */
import { expect } from "chai";
import { DisposedError, Tensor, jit, np, webgpuRunStats } from "kiln";
import { type DataBuffer, bufferOf } from "kiln/internal";
import { useWebgpu } from "./env.js";

const gpuOf = (t: Tensor): unknown => (bufferOf(t.node) as DataBuffer).device && ((bufferOf(t.node) as DataBuffer).device as { gpu: unknown }).gpu;

describe("webgpu: donated arguments", function () {
  this.timeout(60_000);
  useWebgpu();

  it("an elementwise update writes into the donated buffer (read and written through one binding)", async () => {
    const update = jit((w: Tensor, g: Tensor) => w.sub(g.mul(0.5)), { donateArgnums: 0 });
    let w = np.arange(1000, { dtype: "float32" }).add(0);
    const g = np.full([1000], 2);
    await w.data(); // on the device
    const storage = gpuOf(w);
    expect(storage).to.not.equal(undefined);
    const first = w;
    const d0 = webgpuRunStats().donations;
    w = update(w, g) as Tensor;
    expect(gpuOf(w)).to.equal(storage);
    expect(first.isDisposed).to.equal(true);
    expect(() => first.add(1)).to.throw(DisposedError);
    for (let i = 0; i < 9; i++) w = update(w, g) as Tensor;
    expect(gpuOf(w)).to.equal(storage);
    expect(webgpuRunStats().donations - d0).to.equal(10);
    const got = await w.data();
    for (let i = 0; i < 1000; i += 37) expect(got[i]).to.equal(i - 10);
    expect(Array.from(await g.data()).every((v) => v === 2)).to.equal(true); // not donated: intact
  });

  it("never takes a buffer that is read elsewhere: a transpose, or the same tensor passed twice", async () => {
    const t = jit((w: Tensor) => w.T.mul(2), { donateArgnums: 0 });
    const w = np.array([[1, 2], [3, 4]]).add(0);
    await w.data();
    const storage = gpuOf(w);
    const out = t(w) as Tensor;
    expect(await out.toArray()).to.deep.equal([[2, 6], [4, 8]]);
    expect(gpuOf(out)).to.not.equal(storage);
    expect(w.isDisposed).to.equal(true);

    const add = jit((a: Tensor, b: Tensor) => a.add(b), { donateArgnums: 0 });
    const x = np.array([1, 2]).add(0);
    await x.data();
    const xs = gpuOf(x);
    const twice = add(x, x) as Tensor;
    expect(await twice.toArray()).to.deep.equal([2, 4]);
    expect(gpuOf(twice)).to.not.equal(xs);
    // Another handle on the donated buffer, passed alongside it, stays readable.
    const y = np.array([5, 6]).add(0);
    await y.data();
    const other = new Tensor(y.node);
    expect(await (add(y, other) as Tensor).toArray()).to.deep.equal([10, 12]);
    expect(Array.from(await other.data())).to.deep.equal([5, 6]);
  });

  it("an SGD loop with donated parameters matches the same loop without donation", async () => {
    const loss = (w: Tensor, x: Tensor) => np.sum(np.tanh(x.matmul(w)).square());
    const sgd = (donate: boolean) => jit((w: Tensor, x: Tensor) => {
      const y = np.tanh(x.matmul(w));
      const gy = y.mul(2).mul(np.subtract(1, y.square()));
      return w.sub(x.T.matmul(gy).mul(0.002));
    }, donate ? { donateArgnums: 0 } : {});
    const x = np.array(Array.from({ length: 64 * 16 }, (_, i) => Math.sin(i))).reshape([64, 16]);
    const w0 = np.array(Array.from({ length: 16 * 8 }, (_, i) => Math.cos(i) * 0.3)).reshape([16, 8]);
    let a = w0.add(0), b = w0.add(0);
    const [fa, fb] = [sgd(true), sgd(false)];
    for (let i = 0; i < 20; i++) {
      a = fa(a, x) as Tensor;
      b = fb(b, x) as Tensor;
    }
    const [ga, gb] = await Promise.all([a.data(), b.data()]);
    expect(Array.from(ga)).to.deep.equal(Array.from(gb));
    expect(await loss(a, x).item()).to.be.below(await loss(w0, x).item());
  });
});
