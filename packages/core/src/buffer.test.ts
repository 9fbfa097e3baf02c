/**
 * A DataBuffer whose host array lies in memory an executor manages (adoptHostRegion): every path
 * that ends the buffer's hold on it frees the region exactly once — release, the data node's
 * finalizer (releaseStorage on the storage record), and the hand-over to the garbage collector,
 * which first moves the values to JS memory; a donation takes the region over.
 */
import { expect } from "chai";
import { DataBuffer, memoryStats, releaseStorage } from "./buffer.js";

/** A "region": a view into a larger buffer, and a counter of frees. */
function regionBuffer() {
  const backing = new Float32Array(16);
  const host = backing.subarray(4, 8);
  host.set([1, 2, 3, 4]);
  const frees = { n: 0 };
  const buf = new DataBuffer("float32", 4, host);
  buf.adoptHostRegion(() => frees.n++);
  return { backing, buf, frees };
}

describe("DataBuffer: host arrays in managed memory", () => {
  it("release frees the region once", () => {
    const { buf, frees } = regionBuffer();
    expect(buf.hostInRegion).to.equal(true);
    buf.release();
    buf.release();
    expect(frees.n).to.equal(1);
    expect(buf.host).to.equal(null);
  });

  it("the finalizer's releaseStorage frees it too (the storage record holds the free)", () => {
    const { buf, frees } = regionBuffer();
    releaseStorage(buf.storage);
    releaseStorage(buf.storage);
    expect(frees.n).to.equal(1);
  });

  it("handed to the garbage collector: the values move to JS memory, the region is freed, later writes to it change nothing", () => {
    const { backing, buf, frees } = regionBuffer();
    const before = memoryStats();
    expect(buf.uncount()).to.equal(true);
    expect(frees.n).to.equal(1);
    expect(buf.hostInRegion).to.equal(false);
    expect(buf.host!.buffer).to.not.equal(backing.buffer);
    backing.fill(9);
    expect(Array.from(buf.host!)).to.deep.equal([1, 2, 3, 4]);
    expect(memoryStats().buffers).to.equal(before.buffers - 1);
    buf.release();
    expect(frees.n).to.equal(1);
  });

  it("takeHostRegion hands the free to the taker: releasing the donor no longer frees it", () => {
    const { buf, frees } = regionBuffer();
    const free = buf.takeHostRegion()!;
    buf.release();
    expect(frees.n).to.equal(0);
    const taker = new DataBuffer("float32", 4, new Float32Array(4));
    taker.adoptHostRegion(free);
    taker.release();
    expect(frees.n).to.equal(1);
    expect(buf.takeHostRegion()).to.equal(null);
  });
});

describe("DataBuffer: an executor's mirror of the host values", () => {
  const mirrored = () => {
    const buf = new DataBuffer("float32", 4, Float32Array.of(1, 2, 3, 4));
    const frees = { n: 0 };
    buf.attachMirror({ array: buf.host!.slice(), free: () => frees.n++ });
    return { buf, frees };
  };

  it("release, the finalizer's releaseStorage and the hand-over to the garbage collector each free it once", () => {
    const a = mirrored();
    expect(Array.from(a.buf.mirror!)).to.deep.equal([1, 2, 3, 4]);
    a.buf.release();
    a.buf.release();
    expect(a.frees.n).to.equal(1);
    expect(a.buf.mirror).to.equal(null);
    const b = mirrored();
    releaseStorage(b.buf.storage);
    releaseStorage(b.buf.storage);
    expect(b.frees.n).to.equal(1);
    const c = mirrored();
    expect(c.buf.uncount()).to.equal(true);
    expect(c.frees.n).to.equal(1);
    expect(Array.from(c.buf.host!), "the host values stay").to.deep.equal([1, 2, 3, 4]);
  });

  it("a mirror attached to a released buffer is freed at once; a new mirror frees the one it replaces", () => {
    const { buf, frees } = mirrored();
    const again = { n: 0 };
    buf.attachMirror({ array: buf.host!.slice(), free: () => again.n++ });
    expect([frees.n, again.n]).to.deep.equal([1, 0]);
    buf.release();
    const late = { n: 0 };
    buf.attachMirror({ array: new Float32Array(4), free: () => late.n++ });
    expect([again.n, late.n]).to.deep.equal([1, 1]);
    expect(buf.mirror).to.equal(null);
  });
});

/** A device-only buffer whose "device" copy (an object holding the values) reads synchronously, with counters. */
function syncDeviceBuffer(values: number[]) {
  const device = { values: Float32Array.from(values) };
  const counts = { reads: 0, frees: 0 };
  const buf = new DataBuffer("float32", values.length, null, device, () => counts.frees++);
  buf.readDeviceWith((d) => {
    counts.reads++;
    return (d as typeof device).values.slice();
  });
  return { buf, counts };
}

describe("DataBuffer: a device copy read synchronously (gpujs textures)", () => {
  it("host reads the device copy on first access and keeps it; nothing is read before", () => {
    const { buf, counts } = syncDeviceBuffer([1, 2, 3]);
    expect([buf.hasHost, buf.readableSync, counts.reads]).to.deep.equal([false, true, 0]);
    expect(Array.from(buf.host!)).to.deep.equal([1, 2, 3]);
    expect(Array.from(buf.host!)).to.deep.equal([1, 2, 3]);
    expect([buf.hasHost, counts.reads, counts.frees]).to.deep.equal([true, 1, 0]);
  });

  it("release frees the device copy once and reads nothing", () => {
    const { buf, counts } = syncDeviceBuffer([1, 2]);
    buf.release();
    buf.release();
    expect([counts.reads, counts.frees, buf.host, buf.readableSync]).to.deep.equal([0, 1, null, false]);
  });

  it("dropDevice (a State handing a replaced value to the collector) reads the values first, then frees the device copy", () => {
    const { buf, counts } = syncDeviceBuffer([4, 5]);
    expect(buf.dropDevice()).to.equal(true);
    expect([counts.reads, counts.frees, buf.device]).to.deep.equal([1, 1, null]);
    expect(buf.uncount()).to.equal(true);
    expect(Array.from(buf.host!)).to.deep.equal([4, 5]);
  });
});
