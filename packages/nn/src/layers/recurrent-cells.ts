/**
 * Recurrent cells `RNNCell`, `GRUCell`, `LSTMCell`: one time step, `call(carry, x) -> [carry, y]`
 * (the shape `scan` and `nn.RNN` loop over). Equations, gate order and initialization are
 * PyTorch's; weights are stored `[in, gates · hidden]` (kiln's `Linear` layout, the transpose of
 * PyTorch's `weight_ih`/`weight_hh`), with PyTorch's two biases kept apart because GRU's candidate
 * gate multiplies only the hidden one by the reset gate.
 */
import { type ArrayLike, type DType, ParamState, ShapeError, type Tensor, ValueError, checkShape, describeValue, np, npUtil } from "@kiln/core";
import { type InitLike, Uniform, initialize } from "../init.js";
import { Module } from "../module.js";
import { toFloat } from "../special.js";
import { promotePair } from "./conv.js";

export interface RecurrentCellOptions {
  /** Include `biasIh` and `biasHh`; default true. */
  bias?: boolean;
  /** Initializer of every weight and bias; default PyTorch's uniform(−1/√hidden, 1/√hidden). */
  init?: InitLike;
}

/** An LSTM's carry: hidden state `h` and cell state `c`, both `[..., hidden]`. */
export type LSTMCarry = [h: Tensor, c: Tensor];

/**
 * The parameters and the input projections shared by the three cells: `gates` blocks of `hidden`
 * columns, `gi = x·weightIh + biasIh` and `gh = h·weightHh + biasHh`, each split into its gates.
 */
abstract class RecurrentCell<C> extends Module {
  readonly weightIh: ParamState;
  readonly weightHh: ParamState;
  readonly biasIh: ParamState | undefined;
  readonly biasHh: ParamState | undefined;
  protected readonly who: string;

  constructor(name: "RNNCell" | "GRUCell" | "LSTMCell", private readonly gates: number, readonly inFeatures: number, readonly hiddenFeatures: number, opts: RecurrentCellOptions, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf(name, opts, name, extra);
    for (const [n, v] of [["inFeatures", inFeatures], ["hiddenFeatures", hiddenFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`${name}: ${n} must be a positive integer, got ${describeValue(v)}`);
    }
    this.who = `${name}(${inFeatures}, ${hiddenFeatures})`;
    const bound = 1 / Math.sqrt(hiddenFeatures);
    const init = opts.init ?? new Uniform({ minVal: -bound, maxVal: bound });
    const g = gates * hiddenFeatures;
    this.weightIh = new ParamState(initialize(init, [inFeatures, g], `${this.who} weightIh`));
    this.weightHh = new ParamState(initialize(init, [hiddenFeatures, g], `${this.who} weightHh`));
    const bias = opts.bias ?? true;
    if (typeof bias !== "boolean") throw new ValueError(`${name}: bias must be a boolean, got ${describeValue(bias)}`);
    this.biasIh = bias ? new ParamState(initialize(init, [g], `${this.who} biasIh`)) : undefined;
    this.biasHh = bias ? new ParamState(initialize(init, [g], `${this.who} biasHh`)) : undefined;
  }

  /** The carry's dtype for an input dtype: the promotion of the input with the weights. */
  carryDtype(inputDtype: DType = "float32"): DType {
    return inputDtype === "float64" || this.weightIh.value.dtype === "float64" ? "float64" : "float32";
  }

  /** A zero carry for inputs `[...batchShape, inFeatures]`. */
  abstract initialCarry(batchShape: readonly number[], dtype?: DType): C;

  abstract override call(carry: C, x: ArrayLike): [C, Tensor];

  /** The input checked against `h` ([..., in] and [..., hidden] with equal leading axes), promoted with the weights. */
  protected input(x: ArrayLike, h: Tensor): Tensor {
    const t = toFloat(x, this.who);
    if (t.ndim === 0 || t.shape[t.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(`${this.who}: expected an input [..., ${this.inFeatures}], got shape [${t.shape.join(", ")}]`);
    }
    const batch = t.shape.slice(0, -1);
    if (h.ndim !== t.ndim || h.shape[h.ndim - 1] !== this.hiddenFeatures || batch.some((d, i) => d !== h.shape[i])) {
      throw new ShapeError(`${this.who}: the carry must have shape [${[...batch, this.hiddenFeatures].join(", ")}] for an input of shape [${t.shape.join(", ")}], got [${h.shape.join(", ")}]`);
    }
    return promotePair(t, this.weightIh.value)[0];
  }

  /** [gi, gh] split into `gates` blocks each: the input and hidden projections. */
  protected projections(x: Tensor, h: Tensor): [Tensor[], Tensor[]] {
    let gi = np.matmul(x, this.weightIh.value), gh = np.matmul(h, this.weightHh.value);
    if (this.biasIh && this.biasHh) {
      gi = gi.add(this.biasIh.value);
      gh = gh.add(this.biasHh.value);
    }
    return [np.split(gi, this.gates, { axis: -1 }), np.split(gh, this.gates, { axis: -1 })];
  }

  protected zeros(batchShape: readonly number[], dtype: DType | undefined): Tensor {
    return np.zeros([...checkShape(`${this.who}.initialCarry`, batchShape), this.hiddenFeatures], { dtype: this.carryDtype(dtype) });
  }
}

export interface RNNCellOptions extends RecurrentCellOptions {
  /** `"tanh"` (default) or `"relu"`, as PyTorch's `nonlinearity`. */
  nonlinearity?: "tanh" | "relu";
}

/**
 * Elman cell (PyTorch's `nn.RNNCell`): h' = act(x·weightIh + biasIh + h·weightHh + biasHh);
 * the output is h'. Weights `[in, hidden]`, `[hidden, hidden]`.
 * @example
 * const cell = new nn.RNNCell(3, 8);
 * const [h, y] = cell.call(cell.initialCarry([4]), np.ones([4, 3])); // h, y: [4, 8]
 */
export class RNNCell extends RecurrentCell<Tensor> {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inFeatures: number, hiddenFeatures: number, opts: RNNCellOptions = {}) {
    super("RNNCell", 1, inFeatures, hiddenFeatures, opts);
    const nl = opts.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") throw new ValueError(`${this.who}: nonlinearity must be "tanh" or "relu", got ${describeValue(nl)}`);
    this.nonlinearity = nl;
  }

  initialCarry(batchShape: readonly number[], dtype?: DType): Tensor {
    return this.zeros(batchShape, dtype);
  }

  call(carry: Tensor, x: ArrayLike): [Tensor, Tensor] {
    const [[gi], [gh]] = this.projections(this.input(x, carry), carry);
    const pre = gi!.add(gh!);
    const h = this.nonlinearity === "tanh" ? np.tanh(pre) : np.maximum(pre, 0);
    return [h, h];
  }
}

/**
 * Gated recurrent unit (PyTorch's `nn.GRUCell`), gates in PyTorch's order r, z, n:
 * r = σ(x·Wir + bir + h·Whr + bhr), z = σ(x·Wiz + biz + h·Whz + bhz),
 * n = tanh(x·Win + bin + r ⊙ (h·Whn + bhn)), h' = (1 − z) ⊙ n + z ⊙ h; the output is h'.
 * Weights `[in, 3·hidden]`, `[hidden, 3·hidden]` (columns r | z | n).
 * @example
 * const cell = new nn.GRUCell(3, 8);
 * const [h, y] = cell.call(cell.initialCarry([4]), np.ones([4, 3])); // h, y: [4, 8]
 */
export class GRUCell extends RecurrentCell<Tensor> {
  constructor(inFeatures: number, hiddenFeatures: number, opts: RecurrentCellOptions = {}) {
    super("GRUCell", 3, inFeatures, hiddenFeatures, opts);
  }

  initialCarry(batchShape: readonly number[], dtype?: DType): Tensor {
    return this.zeros(batchShape, dtype);
  }

  call(carry: Tensor, x: ArrayLike): [Tensor, Tensor] {
    const [[ir, iz, inn], [hr, hz, hn]] = this.projections(this.input(x, carry), carry);
    const r = np.sigmoid(ir!.add(hr!)), z = np.sigmoid(iz!.add(hz!));
    const n = np.tanh(inn!.add(r.mul(hn!)));
    // (1 − z)·n + z·h written as n + z·(h − n): one fewer elementwise op, same value.
    const h = n.add(z.mul(carry.sub(n)));
    return [h, h];
  }
}

/**
 * Long short-term memory (PyTorch's `nn.LSTMCell`), gates in PyTorch's order i, f, g, o:
 * i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of x·Wi* + bi* + h·Wh* + bh*;
 * c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'). The carry is `[h, c]`, the output h'.
 * Weights `[in, 4·hidden]`, `[hidden, 4·hidden]` (columns i | f | g | o).
 * @example
 * const cell = new nn.LSTMCell(3, 8);
 * const [[h, c], y] = cell.call(cell.initialCarry([4]), np.ones([4, 3])); // each [4, 8]
 */
export class LSTMCell extends RecurrentCell<LSTMCarry> {
  constructor(inFeatures: number, hiddenFeatures: number, opts: RecurrentCellOptions = {}) {
    super("LSTMCell", 4, inFeatures, hiddenFeatures, opts);
  }

  initialCarry(batchShape: readonly number[], dtype?: DType): LSTMCarry {
    return [this.zeros(batchShape, dtype), this.zeros(batchShape, dtype)];
  }

  call(carry: LSTMCarry, x: ArrayLike): [LSTMCarry, Tensor] {
    if (!Array.isArray(carry) || carry.length !== 2) throw new ValueError(`${this.who}: the carry must be a pair [h, c], got ${describeValue(carry)}`);
    const [h, c] = carry;
    const t = this.input(x, h);
    if (c.ndim !== h.ndim || c.shape.some((d, i) => d !== h.shape[i])) {
      throw new ShapeError(`${this.who}: the cell state c must have h's shape [${h.shape.join(", ")}], got [${c.shape.join(", ")}]`);
    }
    const [[ii, if_, ig, io], [hi, hf, hg, ho]] = this.projections(t, h);
    const i = np.sigmoid(ii!.add(hi!)), f = np.sigmoid(if_!.add(hf!)), g = np.tanh(ig!.add(hg!)), o = np.sigmoid(io!.add(ho!));
    const c2 = f.mul(c).add(i.mul(g));
    const h2 = o.mul(np.tanh(c2));
    return [[h2, c2], h2];
  }
}

/** Any of the three cells. */
export type AnyRecurrentCell = RNNCell | GRUCell | LSTMCell;
