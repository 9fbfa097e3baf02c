/**
 * float64 on webgpu runs on the host (WGSL has no 64-bit float): the fallback is said once per
 * process with a console warning (issue 17, item 4), and float32 work never warns.
 */
import { expect } from "chai";
import { np } from "kiln";
import { resetFloat64Warning } from "kiln/internal";
import { useWebgpu } from "./env.js";

describe("webgpu: the float64 host fallback warns once", () => {
  useWebgpu();
  let warned: string[] = [];
  const original = console.warn;
  beforeEach(() => {
    warned = [];
    resetFloat64Warning();
    console.warn = (...args: unknown[]) => void warned.push(args.map(String).join(" "));
  });
  afterEach(() => {
    console.warn = original;
  });

  it("float32 kernels: no warning", async () => {
    expect(await np.sum(np.arange(10).mul(2)).item()).to.equal(90);
    expect(warned).to.deep.equal([]);
  });

  it("float64 kernels: one warning naming the fallback, however many run", async () => {
    const x = np.array([1, 2, 3], { dtype: "float64" });
    expect(await np.sum(x.mul(x)).item()).to.equal(14);
    expect(await np.sum(x.add(1)).item()).to.equal(9);
    expect(warned).to.have.length(1);
    expect(warned[0]).to.match(/float64 kernels run on the host under webgpu/);
  });
});
