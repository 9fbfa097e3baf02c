/**
 * Computation environment (BrainState's `brainstate.environ`): settings such as `fit` (training vs
 * evaluation) that layers read while they build their graph. `context` scopes settings to a
 * function call; `set` changes the globals. Settings are read when a graph is built, so inside
 * `jit` they are fixed at trace time, as in BrainState.
 */
import { ValueError, describeValue } from "./errors.js";

/** Known settings; any other key may be set and read too. */
export interface EnvironSettings {
  /** Training mode: `Dropout` drops only when `fit` is true. Default `true`. */
  fit: boolean;
  /**
   * The integration time step of brain-dynamics models (`nn.LIF`, `nn.Expon`, `nn.expEulerStep`),
   * in the models' time unit (ms by convention). Unset by default, as in BrainState: a model that
   * integrates asks for it with `getDt()`, which says how to set it.
   */
  dt?: number;
  [key: string]: unknown;
}

const DEFAULTS: Readonly<EnvironSettings> = Object.freeze({ fit: true });
const globals: Record<string, unknown> = { ...DEFAULTS };
/** Active `context` frames, innermost last. */
const frames: Readonly<Record<string, unknown>>[] = [];
/**
 * `signature()` of the current settings, or null when they changed since it was computed. jit
 * reads it on every call, so it is computed once per change (set, reset, entering or leaving a
 * context) rather than serialized each time.
 */
let cachedSignature: string | null = null;
/** Bumped by `set` and `reset`: a context's saved signature is stale if the globals changed inside it. */
let globalsVersion = 0;

function checkSettings(settings: unknown, who: string): Record<string, unknown> {
  if (settings === null || typeof settings !== "object" || Array.isArray(settings)) {
    throw new ValueError(`${who}: expected a settings object such as { fit: false }, got ${describeValue(settings)}`);
  }
  const s = settings as Record<string, unknown>;
  if ("fit" in s && typeof s.fit !== "boolean") throw new ValueError(`${who}: "fit" must be a boolean, got ${String(s.fit)}`);
  // Checked here, not where it is read: a bad dt would otherwise surface as NaN membrane potentials.
  if ("dt" in s && !(typeof s.dt === "number" && Number.isFinite(s.dt) && s.dt > 0)) {
    throw new ValueError(`${who}: "dt" is the integration time step and must be a positive finite number, got ${String(s.dt)}`);
  }
  // signature() serializes the settings into jit's cache key: each value must be JSON data.
  for (const [k, v] of Object.entries(s)) {
    let json: string | undefined;
    try {
      json = JSON.stringify(v);
    } catch {
      json = undefined;
    }
    if (json === undefined) {
      throw new ValueError(`${who}: setting "${k}" must be plain data (a number, string, boolean, null, or an array/object of them without cycles), got ${describeValue(v)}`);
    }
  }
  return s;
}

/**
 * The current value of a setting: the innermost `context` that sets it, else the global value.
 * An unknown key throws `ValueError` unless `defaultValue` is given.
 * @example environ.get("fit") // true
 * @example environ.context({ fit: false }, () => environ.get("fit")) // false
 */
function get<K extends keyof EnvironSettings & string>(key: K, defaultValue?: EnvironSettings[K]): EnvironSettings[K] {
  for (let i = frames.length - 1; i >= 0; i--) if (Object.hasOwn(frames[i]!, key)) return frames[i]![key] as EnvironSettings[K];
  if (Object.hasOwn(globals, key)) return globals[key] as EnvironSettings[K];
  if (defaultValue !== undefined) return defaultValue;
  throw new ValueError(`environ.get: "${key}" is not set (known settings: ${Object.keys(all()).join(", ")}); set it with environ.set({ ${key}: ... }) or environ.context`);
}

/**
 * Changes global settings (outside any `context`).
 * @example environ.set({ fit: false }); // evaluation mode from now on
 */
function set(settings: Partial<EnvironSettings>): void {
  Object.assign(globals, checkSettings(settings, "environ.set"));
  cachedSignature = null;
  globalsVersion++;
}

/**
 * Runs `fn` with `settings` in effect and returns its result; contexts nest, and the previous
 * settings are restored when `fn` returns or throws. The settings apply to the synchronous part
 * of `fn` (a returned Promise continues outside the context).
 * @example const y = environ.context({ fit: false }, () => model.call(x)); // dropout off
 */
function context<T>(settings: Partial<EnvironSettings>, fn: () => T): T {
  const frame = Object.freeze({ ...checkSettings(settings, "environ.context") });
  if (typeof fn !== "function") throw new ValueError(`environ.context: expected a function to run, got ${typeof fn}`);
  // Leaving the context restores the outer settings, and with them the outer signature.
  const outer = cachedSignature, version = globalsVersion;
  frames.push(frame);
  cachedSignature = null;
  try {
    return fn();
  } finally {
    frames.pop();
    cachedSignature = version === globalsVersion ? outer : null;
  }
}

/**
 * Every setting currently in effect (globals overridden by active contexts).
 * @example environ.all() // { fit: true }
 */
function all(): EnvironSettings {
  return Object.assign({}, globals, ...frames) as EnvironSettings;
}

/**
 * Restores the global defaults (`{ fit: true }`) and drops every other global setting.
 * @example environ.reset();
 */
function reset(): void {
  for (const k of Object.keys(globals)) delete globals[k];
  Object.assign(globals, DEFAULTS);
  cachedSignature = null;
  globalsVersion++;
}

/**
 * The integration time step `dt` (BrainState's `environ.get_dt()`); throws `ValueError` with the
 * fix when it is not set. Read while a graph is built, so a jitted step retraces when dt changes.
 * @example environ.context({ dt: 0.1 }, () => environ.getDt()) // 0.1
 */
function getDt(): number {
  const dt = get("dt", Number.NaN);
  if (dt === undefined || Number.isNaN(dt)) {
    throw new ValueError(`environ.getDt: the time step "dt" is not set; set it with environ.set({ dt: 0.1 }) or run the simulation inside environ.context({ dt: 0.1 }, ...)`);
  }
  return dt;
}

/**
 * A string equal for equal settings: traced-function caches (jit) include it in their key, so a
 * step traced with `fit: true` is never replayed under `fit: false`.
 * @example environ.signature() // '{"fit":true}'
 */
function signature(): string {
  if (cachedSignature !== null) return cachedSignature;
  const s = all();
  return (cachedSignature = JSON.stringify(Object.keys(s).sort().map((k) => [k, s[k]])));
}

/** The environment namespace: `environ.get`, `set`, `context`, `all`, `reset`, `signature`, `getDt`. */
export const environ = { get, set, context, all, reset, signature, getDt };
