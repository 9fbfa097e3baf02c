/**
 * The data pipeline and checkpoints on webgpu, where values live on the device and reads are
 * asynchronous: `for await` over shuffled batches gives the cpu's batches, a plain `for...of` over
 * them names the fix, and a checkpoint round-trips device values.
 */
import { expect } from "chai";
import { BackendUnavailableError, type Tensor, data, nn, np } from "kiln";
import { useWebgpu } from "./env.js";

const xs = Float32Array.from({ length: 24 }, (_, i) => i);
const dataset = () => data.Dataset.fromArrays({ x: { data: xs, shape: [12, 2] }, y: Int32Array.from({ length: 12 }, (_, i) => i) }).shuffle(5);

describe("webgpu: data and checkpoints", () => {
  // The cpu's batches, computed before the suite switches the backend.
  const cpuBatches = [...dataset().batch(5)].map((b) => [b.x.toArraySync(), b.y.toArraySync()]);

  useWebgpu();

  it("for await gives the cpu's shuffled batches; for...of says to use for await", async () => {
    const got = [];
    for await (const b of dataset().batch(5)) got.push([await b.x.toArray(), await b.y.toArray()]);
    expect(got).to.deep.equal(cpuBatches);
    expect(() => [...dataset().batch(5)]).to.throw(BackendUnavailableError, /cannot be read synchronously; iterate with for await/);
  });

  it("saves device values and loads them back", async () => {
    const a = new nn.Linear(3, 2), b = new nn.Linear(3, 2);
    a.weight.value = a.weight.value.mul(2); // a value computed on the device
    nn.fromSafetensorsBytes(b, await nn.toSafetensorsBytes(a));
    expect(await (b.weight.value as Tensor).toArray()).to.deep.equal(await a.weight.value.toArray());
    expect(await np.sum(b.bias!.value.sub(a.bias!.value)).item()).to.equal(0);
  });
});
