/**
 * The float64 references of the special-function rows against SciPy 1.17's values (generated with
 * `scipy.special.erf/erfc/erfinv/gammaln/psi/polygamma(1, x)` at these points), SciPy's special
 * values, and the identities that tie them together (recurrences, reflection, derivatives).
 */
import { expect } from "chai";
import { digammaF64, erfF64, erfInvF64, erfcF64, i0eF64, i1eF64, lgammaF64, trigammaF64 } from "./special-f64.js";

type Table = readonly (readonly [x: number, want: number])[];

const SCIPY = {
  erf: [[1e-20, 1.1283791670955125e-20], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1.0, 0.8427007929497148], [2.0, 0.9953222650189527], [3.0, 0.9999779095030014], [-1.5, -0.9661051464753108], [5.0, 0.9999999999984626]],
  erfc: [[0.1, 0.8875370839817152], [0.5, 0.4795001221869535], [1.0, 0.15729920705028516], [2.0, 0.004677734981047266], [2.5, 0.00040695201744495886], [3.0, 2.2090496998585445e-05], [5.0, 1.5374597944280347e-12], [10.0, 2.0884875837625446e-45], [20.0, 5.395865611607901e-176], [26.0, 5.663192408856145e-296], [-1.0, 1.8427007929497148], [-3.0, 1.9999779095030015]],
  erfinv: [[1e-10, 8.862269254527581e-11], [0.001, 0.000886227157466552], [0.1, 0.08885599049425769], [0.5, 0.4769362762044699], [0.9, 1.1630871536766743], [0.999, 2.326753765513524], [-0.999999, -3.458910737275499], [0.999999999999, 5.042031898572696]],
  gammaln: [[1e-10, 23.025850929882733], [0.1, 2.252712651734206], [0.5, 0.5723649429247], [0.9, 0.06637623973474327], [1.1, -0.049872441259839716], [1.5, -0.12078223763524526], [1.9, -0.0389842759230834], [2.1, 0.04543773854448518], [2.5, 0.2846828704729192], [3.0, 0.6931471805599453], [7.3, 7.147892523022249], [10.0, 12.801827480081469], [100.0, 359.1342053695754], [100000.0, 1051287.7089736569], [1e+300, 6.897755278982137e+302], [-0.5, 1.2655121234846454], [-1.5, 0.860047015376481], [-2.5, -0.05624371649767401], [-10.3, -14.457515440024208], [-1e-10, 23.025850929998178]],
  psi: [[1e-08, -100000000.57721564], [0.1, -10.423754940411076], [0.5, -1.9635100260214235], [1.0, -0.5772156649015329], [1.5, 0.03648997397857652], [2.0, 0.42278433509846713], [3.3, 1.0348224890596216], [10.0, 2.251752589066721], [100.0, 4.600161852738088], [100000000.0, 18.420680738952367], [-0.5, 0.03648997397857651], [-1.5, 0.7031566406452434], [-2.3, 3.3173231575618236], [-1e-08, 99999999.42278431]],
  polygamma1: [[1e-08, 1e+16], [0.1, 101.43329915079275], [0.5, 4.93480220054468], [1.0, 1.6449340668482266], [1.5, 0.9348022005446793], [2.0, 0.6449340668482266], [3.3, 0.3535015418410618], [10.0, 0.10516633568168576], [100.0, 0.010050166663333573], [100000000.0, 1.000000005e-08], [-0.5, 8.934802200544679], [-1.5, 9.379246644989124], [-2.3, 14.725912160961292]],
  i0e: [[1e-10, 0.9999999998999998], [0.1, 0.9071009257823011], [0.5, 0.64503527044915], [1, 0.46575960759364043], [2, 0.308508322553671], [5, 0.18354081260932834], [10, 0.1278333371634286], [19.9, 0.09000858886438959], [20.1, 0.08955376362061344], [30, 0.0731459464822373], [100, 0.03994437929909668], [10000.0, 0.0039894726746047314], [10000000000.0, 3.9894228040641945e-06], [-3, 0.24300035416182536]],
  i1e: [[1e-10, 4.999999999500001e-11], [0.1, 0.045298446808809324], [0.5, 0.15642080318487173], [1, 0.2079104153497085], [2, 0.2152692892489377], [5, 0.16397226694454234], [10, 0.1212626813844555], [19.9, 0.08771710213170608], [20.1, 0.0872968518432016], [30, 0.07191633059864755], [100, 0.03974415302513025], [10000.0, 0.003989273195983662], [10000000000.0, 3.989422803864723e-06], [-3, -0.19682671329730084]],
} satisfies Record<string, Table>;

const FUNCS = { erf: erfF64, erfc: erfcF64, erfinv: erfInvF64, gammaln: lgammaF64, psi: digammaF64, polygamma1: trigammaF64, i0e: i0eF64, i1e: i1eF64 };

/** Relative error, or absolute where the value is below 1 (near the zeros of lgamma and digamma). */
const err = (got: number, want: number) => Math.abs(got - want) / Math.max(1, Math.abs(want));

describe("special functions, float64 references", () => {
  for (const [name, table] of Object.entries(SCIPY) as [keyof typeof SCIPY, Table][]) {
    it(`${name} matches SciPy within 4e-15 (relative, absolute below 1)`, () => {
      for (const [x, want] of table) expect(err(FUNCS[name](x), want), `${name}(${x}) = ${FUNCS[name](x)}, SciPy ${want}`).to.be.at.most(4e-15);
    });
  }

  it("the documented constants: erf(1), lgamma(1/2) = log √π, digamma(1) = −γ, trigamma(1) = π²/6", () => {
    expect(erfF64(1)).to.be.closeTo(0.8427007929497149, 2e-16);
    expect(lgammaF64(0.5)).to.be.closeTo(Math.log(Math.sqrt(Math.PI)), 1e-15);
    expect(digammaF64(1)).to.be.closeTo(-0.5772156649015329, 1e-15);
    expect(trigammaF64(1)).to.be.closeTo(Math.PI ** 2 / 6, 4e-16);
    expect(lgammaF64(1)).to.equal(0);
    expect(lgammaF64(2)).to.equal(0);
  });

  it("special values as SciPy: signed zeros, infinities, NaN, poles", () => {
    expect(Object.is(erfF64(-0), -0)).to.equal(true);
    expect([erfF64(Infinity), erfF64(-Infinity), erfF64(NaN)]).to.deep.equal([1, -1, NaN]);
    expect([erfcF64(Infinity), erfcF64(-Infinity), erfcF64(0), erfcF64(30)]).to.deep.equal([0, 2, 1, 0]);
    expect([erfInvF64(1), erfInvF64(-1), erfInvF64(1.5), erfInvF64(-1.5), erfInvF64(0)]).to.deep.equal([Infinity, -Infinity, NaN, NaN, 0]);
    // gammaln: +inf at 0, −0 and the negative integers, +inf at ±inf (JAX; SciPy gives −inf at −inf).
    expect([0, -0, -1, -2, -1e20, Infinity, -Infinity].map(lgammaF64)).to.deep.equal(new Array(7).fill(Infinity));
    expect(lgammaF64(NaN)).to.be.NaN;
    // psi(±0) = ∓inf, NaN at the negative integers and −inf, +inf at +inf.
    expect([0, -0, -1, -2, Infinity, -Infinity, NaN].map(digammaF64)).to.deep.equal([-Infinity, Infinity, NaN, NaN, Infinity, NaN, NaN]);
    expect([0, -0, -1, -2, Infinity, -Infinity, NaN].map(trigammaF64)).to.deep.equal([Infinity, Infinity, Infinity, Infinity, 0, Infinity, NaN]);
    expect([0, -0, Infinity, -Infinity, NaN].map(i0eF64)).to.deep.equal([1, 1, 0, 0, NaN]);
    expect([0, -0, Infinity, -Infinity, NaN].map(i1eF64)).to.deep.equal([0, -0, 0, -0, NaN]);
  });

  it("identities: erf + erfc = 1, erf is odd, erfinv(erf(x)) = x, Γ(x + 1) = x Γ(x), reflection", () => {
    for (let x = -4; x <= 4; x += 0.0371) {
      expect(Math.abs(erfF64(x) + erfcF64(x) - 1), `erf + erfc at ${x}`).to.be.at.most(4.5e-16); // an ulp of 2
      expect(erfF64(-x)).to.equal(-erfF64(x));
      if (Math.abs(x) < 3 && x !== 0) expect(Math.abs(erfInvF64(erfF64(x)) - x) / Math.abs(x), `erfinv(erf(${x}))`).to.be.at.most(1e-13);
    }
    for (let x = 0.013; x < 30; x += 0.0937) {
      expect(err(lgammaF64(x + 1), lgammaF64(x) + Math.log(x)), `lgamma(${x} + 1)`).to.be.at.most(4e-15);
      // Relative to the terms' size: ψ(x) + 1/x cancels for small x.
      expect(err(digammaF64(x + 1), digammaF64(x) + 1 / x) / Math.max(1, 1 / x), `digamma(${x} + 1)`).to.be.at.most(4e-15);
      expect(err(trigammaF64(x + 1), trigammaF64(x) - 1 / (x * x)) / Math.max(1, 1 / (x * x)), `trigamma(${x} + 1)`).to.be.at.most(4e-15);
    }
  });

  it("lgamma' = digamma and digamma' = trigamma (central differences)", () => {
    const h = 1e-5;
    for (const x of [0.3, 0.9, 1.7, 3.2, 12.5, -0.6, -2.3]) {
      expect(err((lgammaF64(x + h) - lgammaF64(x - h)) / (2 * h), digammaF64(x)), `lgamma'(${x})`).to.be.at.most(2e-9);
      expect(err((digammaF64(x + h) - digammaF64(x - h)) / (2 * h), trigammaF64(x)), `digamma'(${x})`).to.be.at.most(2e-8);
    }
  });
});
