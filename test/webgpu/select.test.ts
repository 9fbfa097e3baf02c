/**
 * Backend selection (API.md §6) and the webgpu runtime's contract: adapters listed after init(),
 * the software adapter usable by name but never the default, async readback with sync readers
 * throwing a clear error, host steps, the kernel and buffer caches, the persistent WGSL store,
 * and a lost device reported clearly (then recovered by init()).
 */
import { destroyGpu, destroyGpujs } from "@kiln/backend";
import { expect } from "chai";
import { BackendUnavailableError, DisposedError, backends, getBackend, init, jit, np, setBackend, setWgslSourceStore, type Tensor, webgpuCacheStats, webgpuRunStats } from "kiln";
import { clearWebgpuCache, defaultBackend, interning, npUtil } from "kiln/internal";
import { currentGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { useWebgpu } from "./env.js";

describe("webgpu: backend selection and runtime contract", function () {
  this.timeout(60_000);
  useWebgpu();

  it("backends() lists cpu, webgpu (with its adapter) and gpujs; the software adapter is flagged", () => {
    const list = backends();
    expect(list.map((b) => b.name)).to.deep.equal(["cpu", "webgpu", "gpujs"]);
    const gpu = list[1]!;
    expect(gpu.available).to.equal(true);
    expect(gpu.adapter).to.be.a("string").and.not.equal("");
    // CI and this workplace run Dawn on Mesa's llvmpipe
    if (/llvmpipe|swiftshader/i.test(gpu.adapter!)) expect(gpu.software).to.equal(true);
    // GPU.js's Node modes (webasm, cpu) compute on the CPU: available by name, flagged software
    expect(list[2]).to.deep.include({ available: true, software: true });
  });

  it("the default is webgpu only for a hardware adapter", () => {
    expect(defaultBackend({ software: false })).to.equal("webgpu");
    expect(defaultBackend({ software: true })).to.equal("cpu");
    expect(defaultBackend(null)).to.equal("cpu");
  });

  it("setBackend: a software adapter is usable when named; unknown and unavailable names throw", () => {
    setBackend("webgpu");
    expect(getBackend()).to.equal("webgpu");
    destroyGpujs(); // an unavailable backend: gpujs without its GPU.js instance (init() creates one again)
    expect(() => setBackend("gpujs")).to.throw(BackendUnavailableError, "gpujs backend is not available");
    expect(() => setBackend("tpu")).to.throw(BackendUnavailableError, 'unknown backend "tpu"');
    expect(getBackend()).to.equal("webgpu");
  });

  it("values are read asynchronously; the sync readers throw naming the async call", async () => {
    setBackend("webgpu");
    const y = np.array([1, 2, 3]).mul(2);
    expect(Array.from(await y.data())).to.deep.equal([2, 4, 6]);
    expect(await y.sum().item()).to.equal(12);
    expect(await y.reshape([3, 1]).toArray()).to.deep.equal([[2], [4], [6]]);
    const z = np.array([1, 2, 3]).add(1);
    expect(() => z.dataSync()).to.throw(BackendUnavailableError, "await x.data()");
    expect(() => z.sum().itemSync()).to.throw(BackendUnavailableError, "await x.item()");
    expect(() => z.toArraySync()).to.throw(BackendUnavailableError, "await x.toArray()");
    expect(z.toString()).to.equal("Tensor(float32[3], pending)");
    expect(Array.from(await z.data())).to.deep.equal([2, 3, 4]); // still readable asynchronously
  });

  it("argmax, cumsum, scatters and det run as WGSL; eigh and float64 on the host; results are right", async () => {
    setBackend("webgpu");
    const s0 = webgpuRunStats();
    expect(await np.argmax(np.array([3, 9, 2, 9]).mul(2)).item()).to.equal(1);
    expect(Array.from(await np.argmin(np.array([[3, NaN, -1], [2, 0, 5]]).add(1), { axis: 1 }).data())).to.deep.equal([1, 1]); // the first NaN wins
    expect(Array.from(await np.cumsum(np.array([1, 2, 3]).add(1)).data())).to.deep.equal([2, 5, 9]);
    // Repeated indices accumulate; out-of-range ones are dropped (the gradient of a gather).
    const emb = np.zeros([4, 2]).at(np.array([1, 3, 1, 7], { dtype: "int32" })).add(np.array([[1, 1], [2, 2], [3, 3], [9, 9]]));
    expect(await emb.toArray()).to.deep.equal([[0, 0], [4, 4], [0, 0], [2, 2]]);
    const s1 = webgpuRunStats();
    expect(s1.hostSteps - s0.hostSteps).to.equal(0);
    expect(s1.deviceSteps - s0.deviceSteps).to.be.at.least(5);
    const x64 = np.array([1, 2, 3], { dtype: "float64" });
    expect(Array.from(await np.exp(x64).sum().astype("float32").mul(2).data())).to.deep.equal([Math.fround(2 * Math.fround(Math.exp(1) + Math.exp(2) + Math.exp(3)))]);
    expect(Array.from(await np.linalg.eigvalsh(np.array([[2, 1], [1, 2]]).mul(1)).data())).to.deep.equal([1, 3]);
    const s2 = webgpuRunStats();
    expect(s2.hostSteps - s1.hostSteps).to.be.at.least(2);
    expect(await np.linalg.det(np.array([[2, 1], [1, 3]]).mul(1)).item()).to.be.closeTo(5, 1e-5);
    expect(webgpuRunStats().hostSteps - s2.hostSteps).to.equal(0);
  });

  it("pipelines are cached by the kernel's structure: new data compiles nothing", async () => {
    setBackend("webgpu");
    const f = (v: number[]) => np.tanh(np.array(v).mul(1.25).add(0.5)).sum();
    await f([1, 2, 3, 4, 5]).item();
    const before = webgpuCacheStats().compiles;
    await f([5, 4, 3, 2, 1]).item();
    await f([0, 0, 0, 0, 1]).item();
    expect(webgpuCacheStats().compiles).to.equal(before);
    const step = jit((x: ReturnType<typeof np.array>) => np.sqrt(x.mul(x).add(1.5)));
    await step(np.array([1, 2])).data();
    const c = webgpuCacheStats().compiles;
    await step(np.array([3, 4])).data();
    expect(webgpuCacheStats().compiles).to.equal(c);
  });

  it("device buffers are pooled: repeating a computation allocates no new buffers", async () => {
    setBackend("webgpu");
    // Buffers return to the pool when their tensors are disposed (or collected).
    const run = async () => {
      const x = np.array([1, 2, 3, 4]);
      const y = np.exp(x.mul(0.5)).sum();
      expect(await y.item()).to.be.closeTo(Math.exp(0.5) + Math.exp(1) + Math.exp(1.5) + Math.exp(2), 1e-5);
      x.dispose();
      y.dispose();
    };
    await run();
    await run();
    const before = webgpuRunStats().buffersCreated;
    for (let i = 0; i < 5; i++) await run();
    expect(webgpuRunStats().buffersCreated).to.equal(before);
  });

  it("a persistent WGSL store is filled and then used instead of rendering", async () => {
    setBackend("webgpu");
    const store = new Map<string, string>();
    setWgslSourceStore({ get: (k) => store.get(k), set: (k, v) => void store.set(k, v) });
    try {
      clearWebgpuCache();
      const expr = () => np.cos(np.array([0.25, 0.5]).mul(3)).sum();
      const want = Math.fround(Math.cos(0.75)) + Math.fround(Math.cos(1.5));
      expect(await expr().item()).to.be.closeTo(want, 1e-6);
      expect(store.size).to.be.greaterThan(0);
      expect([...store.values()][0]).to.contain("@compute");
      clearWebgpuCache();
      const hits = webgpuCacheStats().storeHits;
      expect(await expr().item()).to.be.closeTo(want, 1e-6);
      expect(webgpuCacheStats().storeHits).to.be.greaterThan(hits);
    } finally {
      setWgslSourceStore(null);
    }
  });

  it("a value realized on webgpu and met again (hash-consed) under cpu is computed by cpu", async () => {
    setBackend("webgpu");
    // Built as a graph is (interned): eager values are not hash-consed (docs/graph-ir.md).
    const onGpu = interning(() => npUtil.fullRaw([3], 7, "float32").mul(3));
    const graphNode = onGpu.node; // reading moves the handle to the value's data leaf
    expect(Array.from(await onGpu.data())).to.deep.equal([21, 21, 21]);
    setBackend("cpu");
    // the same graph nodes: their webgpu realization lives in device memory only
    const again = interning(() => npUtil.fullRaw([3], 7, "float32").mul(3));
    expect(again.node).to.equal(graphNode);
    expect(Array.from(again.add(1).dataSync())).to.deep.equal([22, 22, 22]);
    setBackend("webgpu");
  });

  it("a lost device is reported clearly, and init() recovers with a new device", async () => {
    setBackend("webgpu");
    const kept = np.array([1, 2]).mul(3);
    expect(Array.from(await kept.data())).to.deep.equal([3, 6]); // read: its host copy is kept
    const old = jit((a: Tensor) => a.mul(3))(np.array([1, 2])) as Tensor; // computed on the device, never read
    const gpu = currentGpu()!;
    gpu.device.destroy(); // what a driver reset looks like to the runtime
    await gpu.device.lost;
    let err: unknown = null;
    try {
      await np.array([1, 2]).add(1).data();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(BackendUnavailableError);
    expect((err as Error).message).to.contain("device was lost").and.contain("await init()");
    await init();
    setBackend("webgpu");
    expect(currentGpu()).to.not.equal(gpu);
    expect(Array.from(await np.array([1, 2]).add(1).data())).to.deep.equal([2, 3]);
    let stale: unknown = null;
    try {
      await old.add(1).data();
    } catch (e) {
      stale = e;
    }
    expect(stale).to.be.instanceOf(DisposedError);
    expect((stale as Error).message).to.contain("device that is gone");
    expect(Array.from(await kept.add(1).data())).to.deep.equal([4, 7]);
  });

  it("values computed on webgpu move to the cpu backend: async reads copy them, sync reads say how", async () => {
    setBackend("webgpu");
    // 128 values (512 bytes): results of at most 256 bytes are read behind (webgpu-memory.ts), so
    // a never-read small result may have a host copy by the time the cpu backend asks.
    const x = np.arange(128, { dtype: "float32" });
    const step = jit((a: Tensor) => a.mul(2).add(10));
    const [y, z, w] = [x.mul(3), step(x) as Tensor, step(x.add(1)) as Tensor];
    const head = (a: ArrayLike<number>) => Array.from(a).slice(0, 4);
    expect(head(await y.data())).to.deep.equal([0, 3, 6, 9]);
    setBackend("cpu");
    try {
      // Read back once: the host copy is kept, so the cpu backend computes with it synchronously.
      expect(head(y.add(1).dataSync())).to.deep.equal([1, 4, 7, 10]);
      // Never read: a sync read cannot wait for the device, and says what to do.
      expect(() => z.dataSync()).to.throw(BackendUnavailableError, /webgpu backend's device memory.*await x\.data\(\)/);
      expect(() => z.add(1).dataSync()).to.throw(BackendUnavailableError, /setBackend\("webgpu"\)/);
      // Async: read back through the webgpu executor, then computed on the cpu.
      expect(head(await z.data())).to.deep.equal([10, 12, 14, 16]);
      expect(head(await w.mul(2).data())).to.deep.equal([24, 28, 32, 36]);
      expect(z.dataSync()[3]).to.equal(16);
    } finally {
      setBackend("webgpu");
    }
  });

  it("a value computed on a device that is gone is recomputed where its graph is known (hash-consed constants)", async () => {
    setBackend("webgpu");
    // np.full builds a constant graph: built as a graph is (interned), the same node everywhere,
    // realized once per device.
    const built = () => interning(() => np.full([6], 7).mul(2));
    expect(Array.from(await built().data())).to.deep.equal(new Array(6).fill(14));
    destroyGpu();
    await init();
    setBackend("webgpu");
    expect(built().node).to.equal(built().node);
    expect(Array.from(await built().add(1).data())).to.deep.equal(new Array(6).fill(15));
  });
});
