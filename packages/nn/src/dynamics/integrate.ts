/**
 * One integration step of dx/dt = drift(x) with the time step `environ.getDt()` (BrainState's
 * `exp_euler_step` and the forward Euler step). dt is read while the graph is built, so a jitted
 * simulation is traced for one dt (jit's cache key includes the environ settings).
 */
import { type ArrayLike, DTypeError, Tensor, ValueError, describeValue, environ, isFloat, np, npUtil } from "@kiln/core";
import { jvp } from "@kiln/transforms";

/** The integration methods of `nn.LIF`, `nn.Expon` and `integrate`. */
export type Integrator = "expEuler" | "euler";

/** A drift: dx/dt as an elementwise function of x. */
export type Drift = (x: Tensor) => Tensor;

/** exprel(z) = (e^z − 1) / z, continued by its limit 1 at z = 0. */
function exprel(z: Tensor): Tensor {
  const zero = z.eq(0);
  // The division must never see z = 0: NaN in the unselected branch of `where` would reach gradients.
  const safe = np.where(zero, 1, z);
  return np.where(zero, 1, np.expm1(safe).div(safe));
}

const INTEGRATORS: { readonly [M in Integrator]: (drift: Drift, x: Tensor, dt: number) => Tensor } = {
  // x + dt · φ(dt J) · f(x) with J the diagonal Jacobian of the drift (forward mode with a tangent of
  // ones: the drift acts elementwise). Exact for linear drifts such as the LIF membrane and the
  // exponential synapse, so it stays stable for any dt/tau, where Euler needs dt << tau.
  expEuler: (drift, x, dt) => {
    const [f, jac] = jvp(drift, [x], [np.onesLike(x)]) as [Tensor, Tensor];
    return x.add(exprel(jac.mul(dt)).mul(f).mul(dt));
  },
  euler: (drift, x, dt) => x.add(drift(x).mul(dt)),
};

function checkState(who: string, x: ArrayLike): Tensor {
  const t = npUtil.asTensor(x, who);
  if (!isFloat(t.dtype)) throw new DTypeError(`${who}: the state must be a float Tensor, got ${t.dtype}`);
  return t;
}

/**
 * One step of `method` (default exponential Euler) for dx/dt = drift(x), with dt from `environ`.
 * The drift must act elementwise (the exponential Euler step uses its diagonal Jacobian).
 * @example
 * environ.context({ dt: 0.1 }, () => nn.integrate((v) => v.neg().div(10), np.array([1]), "euler")) // [0.99]
 */
export function integrate(drift: Drift, x: ArrayLike, method: Integrator = "expEuler"): Tensor {
  const step = INTEGRATORS[checkIntegrator("integrate", method)];
  const who = `integrate(${method})`;
  if (typeof drift !== "function") throw new ValueError(`${who}: drift must be a function of the state, got ${typeof drift}`);
  const t = checkState(who, x);
  const checked: Drift = (v) => {
    const f = drift(v);
    // A reduced or broadcast drift is not elementwise: the diagonal Jacobian would be meaningless.
    if (!(f instanceof Tensor) || f.shape.join() !== t.shape.join()) throw new ValueError(`${who}: drift must return a Tensor of the state's shape [${t.shape}]`);
    return f;
  };
  return step(checked, t, environ.getDt());
}

/**
 * One exponential Euler step (BrainState's `exp_euler_step`): x + dt · exprel(dt · ∂f/∂x) · f(x).
 * @example
 * environ.context({ dt: 0.1 }, () => nn.expEulerStep((v) => v.neg().div(10), np.array([1]))) // [exp(-0.01)]
 */
export function expEulerStep(drift: Drift, x: ArrayLike): Tensor {
  return integrate(drift, x, "expEuler");
}

/** Throws unless `method` names an integrator (checked when a model is built, not at its first step). */
export function checkIntegrator(who: string, method: unknown): Integrator {
  if (typeof method === "string" && Object.hasOwn(INTEGRATORS, method)) return method as Integrator;
  throw new ValueError(`${who}: unknown integrator ${typeof method === "string" ? JSON.stringify(method) : describeValue(method)}; use ${Object.keys(INTEGRATORS).map((m) => `"${m}"`).join(" or ")}`);
}
