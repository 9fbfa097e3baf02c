/**
 * np.fft: values against a direct O(n²) float64 DFT written here for radix-2 and Bluestein lengths,
 * round trips, Parseval, the real and Hermitian transforms, norm modes, n-D transforms, frequencies
 * and shifts against NumPy's outputs, gradients against finite differences, vmap, jit, fast-check
 * properties (round trip, linearity, the DFT) and typed errors for bad input.
 */
import { expect } from "chai";
import fc from "fast-check";
import { IndexError, ShapeError, ValueError, type Tensor, grad, jit, np, vmap } from "kiln";
import { checkGradFd, expectClose, sample } from "./util.js";

const vals = (t: Tensor): number[] => Array.from(t.dataSync());
const flat = (t: Tensor): Float64Array => Float64Array.from(t.dataSync());
const f64 = (v: readonly number[], shape?: readonly number[]): Tensor => {
  const t = np.array([...v], { dtype: "float64" });
  return shape ? np.reshape(t, [...shape]) : t;
};

/** The textbook DFT in float64: X_k = Σ_j x_j e^{∓2πi jk/n} (unnormalized; `inverse` flips the sign). */
function dft(re: readonly number[], im: readonly number[], inverse = false): { re: number[]; im: number[] } {
  const n = re.length, sign = inverse ? 1 : -1;
  const out = { re: new Array<number>(n).fill(0), im: new Array<number>(n).fill(0) };
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n, c = Math.cos(a), s = Math.sin(a);
      out.re[k] += re[j]! * c - im[j]! * s;
      out.im[k] += re[j]! * s + im[j]! * c;
    }
  }
  return out;
}

/** Deterministic values in [-1, 1]. */
const signal = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233 + 0.5 * i * i));
const maxAbs = (v: readonly number[]): number => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

function expectNear(got: readonly number[], want: readonly number[], tol: number, what: string): void {
  expect(got.length, `${what}: length`).to.equal(want.length);
  const atol = tol * (1 + maxAbs(want));
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${what}[${i}]: ${g} vs ${want[i]}`).to.be.at.most(atol));
}

const LENGTHS = [1, 2, 3, 5, 7, 8, 12, 16, 17, 64, 100, 127, 128];

describe("np.fft: 1-D transforms against a direct DFT", () => {
  it("fft and ifft of complex float64 input, every length (radix-2 and Bluestein)", () => {
    for (const n of LENGTHS) {
      const re = signal(n, 1), im = signal(n, 2);
      const z = np.fft.complex(f64(re), f64(im));
      const want = dft(re, im);
      const got = np.fft.fft(z);
      expectNear(vals(got.re), want.re, 1e-12, `fft re n=${n}`);
      expectNear(vals(got.im), want.im, 1e-12, `fft im n=${n}`);
      const inv = dft(re, im, true);
      const back = np.fft.ifft(z);
      expectNear(vals(back.re), inv.re.map((v) => v / n), 1e-12, `ifft re n=${n}`);
      expectNear(vals(back.im), inv.im.map((v) => v / n), 1e-12, `ifft im n=${n}`);
    }
  });

  it("float32 input computes in float64 inside the kernel and rounds on store", () => {
    for (const n of [12, 127, 128]) {
      const re = signal(n, 3);
      const got = np.fft.fft(np.array(re));
      expect(got.re.dtype).to.equal("float32");
      const want = dft(re, new Array(n).fill(0));
      expectNear(vals(got.re), want.re, 1e-6, `float32 re n=${n}`);
      expectNear(vals(got.im), want.im, 1e-6, `float32 im n=${n}`);
    }
  });

  it("round trip ifft(fft(x)) = x and Parseval Σ|x|² = Σ|X|²/n", () => {
    for (const n of LENGTHS) {
      const re = signal(n, 4), im = signal(n, 5);
      const back = np.fft.ifft(np.fft.fft(np.fft.complex(f64(re), f64(im))));
      expectNear(vals(back.re), re, 1e-12, `round trip re n=${n}`);
      expectNear(vals(back.im), im, 1e-12, `round trip im n=${n}`);
      const spec = np.fft.fft(np.fft.complex(f64(re), f64(im)));
      const energy = re.reduce((s, v, i) => s + v * v + im[i]! ** 2, 0);
      const specEnergy = vals(spec.re).reduce((s, v, i) => s + v * v + vals(spec.im)[i]! ** 2, 0) / n;
      expect(specEnergy, `Parseval n=${n}`).to.be.closeTo(energy, 1e-10 * (1 + energy));
    }
  });

  it("n zero-pads or truncates along axis; other axes are rows", () => {
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    expectClose(np.fft.fft(x, { n: 4 }).re, [dft([1, 2, 3, 0], [0, 0, 0, 0]).re, dft([4, 5, 6, 0], [0, 0, 0, 0]).re], { atol: 1e-12 });
    expectClose(np.fft.fft(x, { n: 2 }).re, [[3, -1], [9, -1]], { atol: 1e-12 });
    const cols = np.fft.fft(x, { axis: 0 });
    expectClose(cols.re, [[5, 7, 9], [-3, -3, -3]], { atol: 1e-12 });
    expectClose(cols.im, [[0, 0, 0], [0, 0, 0]], { atol: 1e-12 });
  });

  it("norm modes as NumPy (values from numpy 2.4: np.fft.fft/ifft([1, 2, 3], norm=...))", () => {
    const s = 0.8660254037844386, r = 0.28867513459481287, o = 0.8660254037844388;
    const cases: [("backward" | "ortho" | "forward"), number[], number[], number[], number[]][] = [
      ["backward", [6, -1.5, -1.5], [0, s, -s], [2, -0.5, -0.5], [0, -r, r]],
      ["ortho", [3.4641016151377553, -o, -o], [0, 0.5, -0.5], [3.4641016151377553, -o, -o], [0, -0.5, 0.5]],
      ["forward", [2, -0.5, -0.5], [0, r, -r], [6, -1.5, -1.5], [0, -s, s]],
    ];
    for (const [norm, fre, fim, ire, iim] of cases) {
      const f = np.fft.fft(f64([1, 2, 3]), { norm }), i = np.fft.ifft(f64([1, 2, 3]), { norm });
      expectNear(vals(f.re), fre, 1e-14, `fft ${norm} re`);
      expectNear(vals(f.im), fim, 1e-14, `fft ${norm} im`);
      expectNear(vals(i.re), ire, 1e-14, `ifft ${norm} re`);
      expectNear(vals(i.im), iim, 1e-14, `ifft ${norm} im`);
      expectNear(vals(np.fft.ifft(np.fft.fft(f64([1, 2, 3]), { norm }), { norm }).re), [1, 2, 3], 1e-14, `round trip ${norm}`);
    }
  });
});

describe("np.fft: real and Hermitian transforms", () => {
  it("rfft keeps n//2 + 1 frequencies; irfft inverts it for odd and even n", () => {
    for (const n of [1, 2, 5, 8, 17, 100]) {
      const x = signal(n, 6);
      const half = np.fft.rfft(f64(x));
      expect(half.re.shape).to.deep.equal([(n >> 1) + 1]);
      const want = dft(x, new Array(n).fill(0));
      expectNear(vals(half.re), want.re.slice(0, (n >> 1) + 1), 1e-12, `rfft re n=${n}`);
      expectNear(vals(half.im), want.im.slice(0, (n >> 1) + 1), 1e-12, `rfft im n=${n}`);
      if (n > 1) expectNear(vals(np.fft.irfft(half, { n })), x, 1e-12, `irfft(rfft) n=${n}`);
    }
  });

  it("irfft ignores the imaginary parts of DC and Nyquist, pads or cuts to n//2 + 1 (numpy 2.4 values)", () => {
    const a = np.fft.complex(f64([1, 3, 0.5, -2]), f64([2, -1, 0.5, 1]));
    expectNear(vals(np.fft.irfft(a)), [1.0, 1.061004233964073, -0.31698729810778065, -0.33333333333333315, -1.1830127018922192, 0.7723290993692601], 1e-13, "irfft default n=6");
    expectNear(vals(np.fft.irfft(a, { n: 5 })), [1.6, 0.6718825504345143, -0.2836915901989275, -1.1343423985509673, 0.14615143831538066], 1e-13, "irfft n=5");
    expectNear(vals(np.fft.irfft(a, { n: 3 })), [2.333333333333333, -0.08931639747704093, -1.2440169358562922], 1e-13, "irfft n=3");
  });

  it("hfft and ihfft (numpy 2.4 values)", () => {
    const a = np.fft.complex(f64([1, 2, 0]), f64([1, -1, 0.5]));
    expectNear(vals(np.fft.hfft(a, { n: 5, norm: "ortho" })), [2.23606797749979, 0.412214747707527, -1.9510565162951539, -0.048943483704846434, 1.5877852522924731], 1e-13, "hfft n=5 ortho");
    const ih = np.fft.ihfft(f64([1, 2, 3, 4, 5]));
    expectNear(vals(ih.re), [3, -0.5, -0.5], 1e-13, "ihfft re");
    expectNear(vals(ih.im), [0, -0.6881909602355867, -0.1624598481164532], 1e-13, "ihfft im");
    expectNear(vals(np.fft.hfft(np.fft.ihfft(f64([1, 2, 3, 4, 5])), { n: 5 })), [1, 2, 3, 4, 5], 1e-13, "hfft(ihfft)");
  });
});

describe("np.fft: n-D transforms", () => {
  it("fft2 with s (numpy 2.4 values), fftn/ifftn round trip over chosen axes", () => {
    const m = f64([1, 2, 3, 4, 5, 6.5], [2, 3]);
    const f = np.fft.fft2(m, { s: [3, 4] });
    expectClose(f.re, [[21.5, -4.5, 7.5, -4.5], [-1.75, -5.0801270189, -0.75, 3.5801270189], [-1.75, 3.5801270189, -0.75, -5.0801270189]], { atol: 1e-9 });
    expectClose(f.im, [[0, -7, 0, 7], [-13.4233937587, 2.6650635095, -4.7631397208, 1.6650635095], [13.4233937587, -1.6650635095, 4.7631397208, -2.6650635095]], { atol: 1e-9 });
    const x = np.fft.complex(sample([3, 4, 5], 2), sample([3, 4, 5], 3));
    for (const axes of [undefined, [0, 2], [1], [2, 0]]) {
      const back = np.fft.ifftn(np.fft.fftn(x, { axes }), { axes });
      expectClose(back.re, flat(x.re), { atol: 1e-12 });
      expectClose(back.im, flat(x.im), { atol: 1e-12 });
    }
    // fftn over all axes is the composition of 1-D transforms.
    const both = np.fft.fftn(x), seq = np.fft.fft(np.fft.fft(np.fft.fft(x, { axis: 0 }), { axis: 1 }), { axis: 2 });
    expectClose(both.re, flat(seq.re), { atol: 1e-11 });
    expectClose(both.im, flat(seq.im), { atol: 1e-11 });
  });

  it("rfftn (numpy 2.4 values) and irfftn/irfft2 round trips", () => {
    const x = np.add(np.reshape(np.arange(12).astype("float64"), [2, 2, 3]), f64([0, 0.5, 2]));
    const r = np.fft.rfftn(x);
    expect(r.re.shape).to.deep.equal([2, 2, 2]);
    expectClose(r.re, [[[76, -11], [-18, 0]], [[-36, 0], [0, 0]]], { atol: 1e-10 });
    expectClose(r.im, [[[0, 8.6602540378], [0, 0]], [[0, 0], [0, 0]]], { atol: 1e-9 });
    expectClose(np.fft.irfftn(r, { s: [2, 2, 3] }), flat(x), { atol: 1e-12 });
    const y = sample([3, 6], 4);
    expectClose(np.fft.irfft2(np.fft.rfft2(y)), flat(y), { atol: 1e-12 });
    expectClose(np.fft.irfft2(np.fft.rfft2(y, { norm: "ortho" }), { norm: "ortho" }), flat(y), { atol: 1e-12 });
  });
});

describe("np.fft: frequencies and shifts (NumPy's documented outputs)", () => {
  it("fftfreq, rfftfreq", () => {
    expectClose(np.fft.fftfreq(8, 0.1), [0, 1.25, 2.5, 3.75, -5, -3.75, -2.5, -1.25], { atol: 1e-6 });
    expectClose(np.fft.fftfreq(5), [0, 0.2, 0.4, -0.4, -0.2], { atol: 1e-7 });
    expectClose(np.fft.rfftfreq(8, 0.1), [0, 1.25, 2.5, 3.75, 5], { atol: 1e-6 });
    expect(np.fft.fftfreq(4, 1, { dtype: "float64" }).dtype).to.equal("float64");
  });

  it("fftshift and ifftshift, on arrays and Complex values", () => {
    expectClose(np.fft.fftshift(np.fft.fftfreq(10, 0.1)), [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4], { atol: 1e-6 });
    expectClose(np.fft.fftshift(np.reshape(np.arange(9), [3, 3]), 1), [[2, 0, 1], [5, 3, 4], [8, 6, 7]], { atol: 0 });
    expectClose(np.fft.ifftshift(np.arange(6)), [3, 4, 5, 0, 1, 2], { atol: 0 });
    const z = np.fft.fftshift(np.fft.complex([1, 2, 3], [4, 5, 6]));
    expectClose(z.re, [3, 1, 2], { atol: 0 });
    expectClose(z.im, [6, 4, 5], { atol: 0 });
  });
});

describe("np.fft: transforms", () => {
  it("gradients match finite differences (power spectrum, irfft, ortho, complex input, fft2)", () => {
    const power = (z: { re: Tensor; im: Tensor }) => np.add(np.square(z.re), np.square(z.im));
    checkGradFd("|fft(x)|²", (x) => power(np.fft.fft(x)), [7]);
    checkGradFd("|fft(x)|² radix-2", (x) => power(np.fft.fft(x, { n: 8 })), [6]);
    checkGradFd("irfft", (x) => np.fft.irfft(np.fft.complex(x, np.multiply(x, 0.5)), { n: 9 }), [5]);
    checkGradFd("irfft even n (DC/Nyquist imaginary parts get zero gradient)", (x) => np.fft.irfft(np.fft.complex(np.sin(x), x)), [4]);
    checkGradFd("ifft ortho of complex input", (x) => np.fft.ifft(np.fft.complex(x, np.cos(x)), { norm: "ortho" }).im, [5]);
    checkGradFd("fft2", (x) => power(np.fft.fft2(x)), [3, 4]);
    checkGradFd("rfft forward", (x) => np.fft.rfft(x, { norm: "forward" }).im, [6]);
    checkGradFd("hfft", (x) => np.fft.hfft(np.fft.complex(x, np.sin(x))), [4]);
  });

  it("grad of a real loss of a Complex input is { ∂L/∂re, ∂L/∂im } (the conjugate of JAX's complex gradient)", () => {
    // L = Σ|fft(z)|² = n Σ|z|² (Parseval): ∂L/∂re = 2n re, ∂L/∂im = 2n im.
    const loss = (z: { re: Tensor; im: Tensor }) => {
      const f = np.fft.fft(z);
      return np.sum(np.add(np.square(f.re), np.square(f.im)));
    };
    const z = { re: f64([1, -2, 0.5]), im: f64([0.25, 1, -1]) };
    const g = grad(loss)(z) as { re: Tensor; im: Tensor };
    expectClose(g.re, [6, -12, 3], { atol: 1e-12 });
    expectClose(g.im, [1.5, 6, -6], { atol: 1e-12 });
  });

  it("vmap over a batch and jit agree with the eager batched call", () => {
    const x = sample([4, 6], 5);
    const eager = np.fft.fft(x);
    const mapped = vmap((row: Tensor) => np.fft.fft(row))(x) as { re: Tensor; im: Tensor };
    expectClose(mapped.re, flat(eager.re), { atol: 1e-12 });
    expectClose(mapped.im, flat(eager.im), { atol: 1e-12 });
    const cols = vmap((col: Tensor) => np.fft.rfft(col), { inAxes: 1 })(x) as { re: Tensor; im: Tensor };
    expectClose(cols.re, flat(np.fft.rfft(np.transpose(x)).re), { atol: 1e-12 });
    const jitted = jit((t: Tensor) => np.fft.irfft(np.fft.rfft(t), { n: 6 }))(x) as Tensor;
    expectClose(jitted, flat(x), { atol: 1e-12 });
    const g = jit(grad((t: Tensor) => np.sum(np.fft.fft(t).im)))(x) as Tensor;
    expectClose(g, flat((grad((t: Tensor) => np.sum(np.fft.fft(t).im))(x) as Tensor)), { atol: 1e-12 });
  });

  it("properties: ifft(fft(z)) = z, linearity, and the direct DFT, for random lengths", () => {
    const arb = fc.integer({ min: 1, max: 40 }).chain((n) => {
      const v = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n });
      return fc.tuple(fc.constant(n), v, v, v, v, fc.double({ min: -3, max: 3, noNaN: true }));
    });
    fc.assert(fc.property(arb, ([n, ar, ai, br, bi, c]) => {
      const a = np.fft.complex(f64(ar), f64(ai)), b = np.fft.complex(f64(br), f64(bi));
      const back = np.fft.ifft(np.fft.fft(a));
      expectNear(vals(back.re), ar, 1e-12, `round trip re n=${n}`);
      expectNear(vals(back.im), ai, 1e-12, `round trip im n=${n}`);
      const lhs = np.fft.fft(np.fft.complex(np.add(a.re, np.multiply(b.re, c)), np.add(a.im, np.multiply(b.im, c))));
      const fa = np.fft.fft(a), fb = np.fft.fft(b);
      expectNear(vals(lhs.re), vals(np.add(fa.re, np.multiply(fb.re, c))), 1e-11, `linearity re n=${n}`);
      expectNear(vals(lhs.im), vals(np.add(fa.im, np.multiply(fb.im, c))), 1e-11, `linearity im n=${n}`);
      const want = dft(ar, ai);
      expectNear(vals(fa.re), want.re, 1e-12, `dft re n=${n}`);
      expectNear(vals(fa.im), want.im, 1e-12, `dft im n=${n}`);
    }), { numRuns: 40, seed: 15 });
  });

  it("bad input is a typed error", () => {
    expect(() => np.fft.fft([1, 2], { n: 0 })).to.throw(ValueError, /n must be a positive integer/);
    expect(() => np.fft.fft([1, 2], { n: 2.5 })).to.throw(ValueError);
    expect(() => np.fft.ifft([1, 2], { axis: 1 })).to.throw(IndexError, /out of bounds/);
    expect(() => np.fft.fft(np.zeros([2, 0]))).to.throw(ValueError, /positive integer/);
    expect(() => np.fft.fft(3)).to.throw(IndexError);
    expect(() => np.fft.fft([1, 2], { norm: "none" as "ortho" })).to.throw(ValueError, /norm/);
    expect(() => np.fft.rfft(np.fft.fft([1, 2]) as never)).to.throw(ValueError, /real/);
    expect(() => np.fft.irfft([1])).to.throw(ValueError, /2·\(m − 1\)/);
    expect(() => np.fft.fftn(np.ones([2, 2]), { axes: [0, 0] })).to.throw(ValueError, /repeated/);
    expect(() => np.fft.fftn(np.ones([2, 2]), { axes: [0, 1], s: [2] })).to.throw(ValueError, /same length/);
    expect(() => np.fft.fft2(np.ones([2]))).to.throw(IndexError);
    expect(() => np.fft.fftfreq(0)).to.throw(ValueError);
    expect(() => np.fft.fftfreq(4, 0)).to.throw(ValueError);
    expect(() => np.fft.complex([1, 2], [1, 2, 3])).to.throw(ShapeError);
  });
});
