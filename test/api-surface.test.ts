/**
 * The API.md §1 surface exists with its documented names (a missing export fails here, with the name).
 */
import { expect } from "chai";
import * as kiln from "kiln";

const NP_NAMES = `array asarray zeros ones full zerosLike onesLike fullLike arange linspace eye meshgrid
add subtract multiply divide power negative abs sign exp exp2 expm1 log log2 log1p sqrt rsqrt square
reciprocal sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh sigmoid relu floor ceil round clip
maximum minimum where equal notEqual less lessEqual greater greaterEqual logicalAnd logicalOr logicalNot isnan isfinite
sum mean prod max min argmax argmin var std logsumexp all any cumsum
reshape transpose moveaxis swapaxes expandDims squeeze broadcastTo concatenate stack split tile repeat flip pad
take takeAlongAxis matmul dot vdot outer einsum tensordot astype stopGradient
diff ediff1d trapezoid select piecewise polyval polyadd polysub polymul polyder polyint fromfunction indices geomspace
logspace unstack arraySplit hsplit vsplit dsplit vstack hstack dstack columnStack append roll rot90 diag diagflat
diagonal diagIndices diagIndicesFrom trace tri triu tril vander cross matvec vecmat matrixTranspose
signbit fmax fmin fmod modf divmod floatPower cbrt sinc log10 logaddexp logaddexp2 isinf nanToNum rint copysign
invert bitwiseAnd bitwiseOr bitwiseXor leftShift rightShift logicalXor resultType isscalar countNonzero average
nansum nanmean nanmax nanmin cumprod nancumsum arrayEqual arrayEquiv allclose isclose cov corrcoef
bartlett blackman hamming hanning kaiser convolve correlate isin bincount histogram applyOverAxes applyAlongAxis
sort argsort lexsort partition argpartition searchsorted unique unwrap roots`.split(/\s+/);

const TENSOR_METHODS = `add sub mul div pow neg matmul sum reshape get at data dataSync item itemSync toArray toArraySync toString dispose astype diagonal sort argsort`.split(/\s+/);

describe("API surface (API.md §1)", () => {
  for (const name of NP_NAMES) {
    it(`np.${name} is a function`, () => expect((kiln.np as Record<string, unknown>)[name], name).to.be.a("function"));
  }
  it("lax sorting names", () => {
    for (const f of ["sort", "sortKeyVal", "topK", "cumsum", "cumprod", "cummax", "cummin"]) expect((kiln.lax as Record<string, unknown>)[f], f).to.be.a("function");
  });
  it("linalg and dtype names", () => {
    for (const f of ["solve", "inv", "det", "slogdet", "cholesky", "norm"]) expect((kiln.np.linalg as Record<string, unknown>)[f], f).to.be.a("function");
    expect([kiln.np.float32, kiln.np.int32, kiln.np.bool, kiln.np.float64]).to.deep.equal(["float32", "int32", "bool", "float64"]);
  });
  it("np.fft names", () => {
    const names = `fft ifft rfft irfft fft2 ifft2 rfft2 irfft2 fftn ifftn rfftn irfftn hfft ihfft fftfreq rfftfreq fftshift ifftshift complex conj isComplex`.split(" ");
    for (const f of names) expect((kiln.np.fft as Record<string, unknown>)[f], f).to.be.a("function");
  });
  it("Tensor methods and properties", () => {
    const x = kiln.np.array([[1, 2]]);
    for (const m of TENSOR_METHODS) expect((x as unknown as Record<string, unknown>)[m], m).to.be.a("function");
    expect(x.T.shape).to.deep.equal([2, 1]);
    expect([x.shape, x.dtype, x.ndim, x.size]).to.deep.equal([[1, 2], "float32", 2, 2]);
    expect((x as unknown as Record<symbol, unknown>)[Symbol.iterator], "Symbol.iterator").to.be.a("function");
  });
  it("top-level names", () => {
    for (const n of [
      "tidy", "slice", "newaxis", "stopGradient", "tree", "State", "ParamState", "ShortTermState", "LongTermState", "HiddenState",
      "StateFinder", "states$", "random", "prng", "grad", "valueAndGrad", "vectorGrad", "jacrev", "jacfwd", "jacobian", "hessian",
      "vjp", "jvp", "linearize", "customVjp", "customJvp", "checkpoint", "remat", "GradientTransform", "jit", "vmap", "nn", "optim",
      "environ", "treefyStates",
    ]) {
      expect((kiln as Record<string, unknown>)[n], n).to.not.equal(undefined);
    }
  });
});
