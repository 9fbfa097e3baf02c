/**
 * The asynchronous WebGL2 read's waiting rules (gpujs-read.ts) on a scripted WebGL2 context: the
 * fence, the switch to a blocking read once the work is due within `blockingReadMs`, the blocking
 * read after one task, and a context lost meanwhile. (The real thing runs in headless Chromium:
 * test/browser/gpujs-webgl.test.ts.)
 */
import { expect } from "chai";
import { BackendUnavailableError } from "@kiln/core";
import { FLAT_TEXTURE, type GpujsTexture, readTexturesRaw, readbackCounts } from "./gpujs-read.js";

/** A WebGL2 context whose fence signals at poll `signalAt` (never: Infinity); its calls are logged. */
function scriptedGl(signalAt: number) {
  const log: string[] = [];
  let polls = 0, lost = false, pixels = 0;
  const gl = {
    PIXEL_PACK_BUFFER: 1, STREAM_READ: 2, FRAMEBUFFER: 3, COLOR_ATTACHMENT0: 4, TEXTURE_2D: 5, RGBA: 6, FLOAT: 7,
    SYNC_GPU_COMMANDS_COMPLETE: 8, ALREADY_SIGNALED: 9, CONDITION_SATISFIED: 10, WAIT_FAILED: 11, TIMEOUT_EXPIRED: 12,
    createBuffer: () => ({}), deleteBuffer: () => log.push("deleteBuffer"), bindBuffer: () => {}, bufferData: () => {},
    bindFramebuffer: () => {}, framebufferTexture2D: () => {}, readPixels: () => void pixels++,
    fenceSync: () => (log.push("fenceSync"), {}), deleteSync: () => log.push("deleteSync"), flush: () => {},
    clientWaitSync: () => (++polls >= signalAt ? 9 : 12),
    isContextLost: () => lost,
    getBufferSubData: (_t: number, _o: number, dst: Float32Array) => (log.push("getBufferSubData"), dst.fill(2.5)),
  };
  return { gl, log, polls: () => polls, lose: () => (lost = true), pixels: () => pixels };
}

const texture = (gl: unknown): GpujsTexture => ({
  type: FLAT_TEXTURE, dimensions: [8], output: [8], size: [2, 1], texture: {} as WebGLTexture, context: gl,
  toArray: () => new Float32Array(8), framebuffer: () => ({}) as WebGLFramebuffer, delete: () => {},
});

describe("gpujs asynchronous reads (scripted WebGL2 context)", () => {
  it("waits on the fence until it signals: no blocking read", async () => {
    const g = scriptedGl(3), before = readbackCounts().blockingReads;
    const [values] = await readTexturesRaw([texture(g.gl)], { blockNow: () => false });
    expect(Array.from(values!)).to.deep.equal(new Array(8).fill(2.5));
    expect(g.polls()).to.equal(3);
    expect(g.log).to.deep.equal(["fenceSync", "deleteSync", "getBufferSubData", "deleteBuffer"]);
    expect(readbackCounts().blockingReads).to.equal(before);
  });

  it("a fence not yet signalled when the work is due soon: stops polling and reads blocking", async () => {
    const g = scriptedGl(Infinity), before = readbackCounts().blockingReads;
    let asked = 0;
    // Due soon from the fourth question on (the first is asked before the fence is made).
    const [values] = await readTexturesRaw([texture(g.gl)], { blockNow: () => ++asked >= 4 });
    expect(values!.length).to.equal(8);
    expect(g.polls()).to.equal(3);
    expect(g.log).to.deep.equal(["fenceSync", "deleteSync", "getBufferSubData", "deleteBuffer"]);
    expect(readbackCounts().blockingReads).to.equal(before + 1);
  });

  it("work due soon from the start: no fence, one task, then the blocking read", async () => {
    const g = scriptedGl(Infinity), before = readbackCounts().blockingReads;
    let settled = false;
    const read = readTexturesRaw([texture(g.gl), texture(g.gl)], { blockNow: () => true }).then((r) => ((settled = true), r));
    await Promise.resolve();
    expect(settled, "not within the calling task's microtasks").to.equal(false);
    const values = await read;
    expect(values.map((v) => v.length)).to.deep.equal([8, 8]);
    expect(g.pixels(), "both textures into one pixel-pack buffer").to.equal(2);
    expect(g.log).to.deep.equal(["getBufferSubData", "deleteBuffer"]);
    expect(readbackCounts().blockingReads).to.equal(before + 1);
  });

  it("the context lost before the values are taken: a BackendUnavailableError, the buffer deleted", async () => {
    for (const blockNow of [() => true, () => false]) {
      const g = scriptedGl(Infinity);
      const read = readTexturesRaw([texture(g.gl)], { blockNow });
      g.lose();
      await read.then(() => expect.fail("resolved"), (e: unknown) => expect(e).to.be.instanceOf(BackendUnavailableError).with.property("message").that.matches(/context was lost/));
      expect(g.log).to.not.include("getBufferSubData");
      expect(g.log.at(-1)).to.equal("deleteBuffer");
    }
  });
});
