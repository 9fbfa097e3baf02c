/**
 * A WGSL kernel that does not compile on Dawn is reported with the kernel's name, the op whose
 * spelling broke it and the WGSL line — here a deliberately broken spelling of `exp` (`cbrt`, a
 * function WGSL does not have: what a table entry inherited from the C base used to render).
 */
import { expect } from "chai";
import { np } from "@kiln/core";
import { scheduleGraph } from "../../packages/backend/src/schedule.js";
import { renderWgslProgram } from "../../packages/backend/src/targets/webgpu/wgsl-kernel.js";
import { compileMessages } from "../../packages/backend/src/targets/webgpu/webgpu-programs.js";
import { requireGpu } from "../../packages/backend/src/targets/webgpu/webgpu-device.js";
import { useWebgpu } from "./env.js";

describe("webgpu: compile errors", () => {
  useWebgpu();

  it("name the kernel, the op and the line Dawn rejects", async () => {
    const ctx = requireGpu("test");
    const x = np.array([0.5, 1, 2]);
    const k = scheduleGraph([np.exp(x).mul(2).node], (n) => n.prim === "data").plan.steps[0]!.kernel!;
    const { source } = renderWgslProgram(k, ctx.tuning).dispatches[0]!;
    const lines = source.split("\n");
    const at = lines.findIndex((l) => l.endsWith("// op exp"));
    expect(lines[at]).to.contain("exp_(");
    lines[at] = lines[at]!.replace("exp_(", "cbrt(");
    const broken = lines.join("\n");
    // In an error scope: the rejected module must not become the device's uncaptured error.
    ctx.device.pushErrorScope("validation");
    const module = ctx.device.createShaderModule({ code: broken });
    const { messages } = await module.getCompilationInfo();
    expect(await ctx.device.popErrorScope()).not.to.equal(null);
    const msg = compileMessages(k.name, 0, 1, broken, messages);
    const line = at + 1;
    expect(msg).to.match(new RegExp(`^${k.name}, dispatch 1 of 1: WGSL line ${line}:\\d+ \\(op exp\\): .*cbrt`));
    expect(msg).to.contain("// op exp");
    // The unbroken kernel compiles.
    const ok = await ctx.device.createShaderModule({ code: source }).getCompilationInfo();
    expect(ok.messages.filter((m) => m.type === "error")).to.deep.equal([]);
  });
});
