/**
 * Values only a device holds, of an executor that reads its device synchronously (gpujs keeps a
 * jitted call's results as GPU.js textures): another executor computing with them, and the
 * synchronous reads, get the values through the buffer's device read — not a "read after
 * dispose()" error, nor the error meant for devices read only asynchronously (webgpu).
 */
import { expect } from "chai";
import { DataBuffer } from "./buffer.js";
import { activeExecutor, dataNode, readBufferSync, registerExecutor, setExecutor, type Executor } from "./realize.js";
import { Tensor } from "./index.js";

/** A buffer only the "synctest" executor's device holds (an object with the values), read on access. */
function deviceOnly(values: number[]): { t: Tensor; buf: DataBuffer; reads: () => number } {
  let reads = 0;
  const buf = new DataBuffer("float32", values.length, null, { values: Float32Array.from(values) }, () => {});
  buf.readDeviceWith((d) => {
    reads++;
    return (d as { values: Float32Array }).values.slice();
  });
  buf.owner = "synctest";
  return { t: new Tensor(dataNode(buf, { shape: [values.length], dtype: "float32" })), buf, reads: () => reads };
}

const failing = (): never => {
  throw new Error("not used");
};
/** The owner: reads its buffers synchronously (as gpujs does). */
const syncDevice: Executor = {
  name: "synctest", canSync: true, executeSync: failing, execute: failing,
  read: async (buf) => buf.host!, readSync: (buf) => buf.host!,
};
/** A device executor read only asynchronously (as webgpu): its registration turns on the checks for device-held values. */
const asyncDevice: Executor = { ...syncDevice, name: "asynctest", canSync: false };

describe("realize: device-held values of an executor that reads synchronously", () => {
  let previous = "interpreter";
  before(() => {
    previous = activeExecutor().name;
    registerExecutor(syncDevice);
    registerExecutor(asyncDevice);
    setExecutor("interpreter");
  });
  after(() => setExecutor(previous));

  it("another executor computes with the value: the buffer reads its device copy once", () => {
    const { t, buf, reads } = deviceOnly([1, 2, 3]);
    expect(Array.from(t.mul(2).dataSync())).to.deep.equal([2, 4, 6]);
    expect(Array.from(t.add(1).dataSync())).to.deep.equal([2, 3, 4]);
    expect(reads()).to.equal(1);
    expect(buf.hasHost).to.equal(true);
  });

  it("a synchronous read goes through the owner", () => {
    const { t, buf, reads } = deviceOnly([5, 6]);
    expect(Array.from(readBufferSync(buf, "dataSync"))).to.deep.equal([5, 6]);
    expect(Array.from(t.dataSync())).to.deep.equal([5, 6]);
    expect(reads()).to.equal(1);
  });
});
