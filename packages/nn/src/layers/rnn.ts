/**
 * `RNN`: runs a recurrent cell over the time axis with `scan` (one graph op, whatever the length),
 * keeping the final carry in a `HiddenState` so a stateful model continues where the previous
 * call stopped — inside `jit` that State is threaded in and out of the compiled step like any other.
 */
import { type ArrayLike, type DType, HiddenState, ShapeError, type Tensor, ValueError, describeValue, np, npUtil, tree } from "@kiln/core";
import { scan } from "@kiln/transforms";
import { Module } from "../module.js";
import { toFloat } from "../special.js";
import type { AnyRecurrentCell, GRUCell, LSTMCarry, LSTMCell, RNNCell } from "./recurrent-cells.js";

/** The carry type of a cell: a Tensor `[batch, hidden]`, or `[h, c]` for an LSTM. */
export type CarryOf<C extends AnyRecurrentCell> = C extends LSTMCell ? LSTMCarry : Tensor;

export interface RNNOptions {
  /** Return the output of every step `[batch, T, hidden]` (default true) or only the last `[batch, hidden]`. */
  returnSequences?: boolean;
  /** Run from the last step to the first; outputs stay at their input positions. Default false. */
  reverse?: boolean;
  /** Inputs are `[T, batch, features]` instead of the default batch-first `[batch, T, features]`. */
  timeMajor?: boolean;
  /** Start each call from the previous call's final carry (`carry`), not zeros (Keras's `stateful`). Default false. */
  stateful?: boolean;
  /** The batch shape the `carry` State starts with (for a stateful model under `jit`); default [1]. */
  batchShape?: readonly number[];
}

export interface RNNCallOptions<C> {
  /** The carry to start from (overrides zeros and, when stateful, the `carry` State). */
  initialCarry?: C;
}

function boolOption(who: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new ValueError(`${who}: ${name} must be a boolean, got ${describeValue(v)}`);
  return v;
}

/**
 * Applies a cell (`RNNCell`, `GRUCell`, `LSTMCell`) at every time step of `[batch, T, features]`
 * through `scan`. The final carry is written to the `carry` HiddenState on every call; with
 * `stateful: true` the next call starts from it (`resetState()` zeroes it), so a jitted step
 * threads the recurrent state across calls. Gradients flow through the scan (backpropagation
 * through time).
 * @example
 * const rnn = new nn.RNN(new nn.GRUCell(1, 16));
 * rnn.call(np.ones([8, 20, 1])).shape;                           // [8, 20, 16]
 * new nn.RNN(new nn.LSTMCell(1, 16), { returnSequences: false }).call(np.ones([8, 20, 1])).shape; // [8, 16]
 * const live = new nn.RNN(new nn.GRUCell(1, 16), { stateful: true, batchShape: [8] });
 * live.call(chunk1); live.call(chunk2);                          // chunk2 continues from chunk1's state
 */
export class RNN<C extends AnyRecurrentCell = AnyRecurrentCell> extends Module {
  readonly carry: HiddenState<CarryOf<C>>;
  readonly returnSequences: boolean;
  readonly reverse: boolean;
  readonly timeMajor: boolean;
  readonly stateful: boolean;
  private readonly who: string;

  constructor(readonly cell: C, opts: RNNOptions = {}, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("RNN", opts, "RNN", extra);
    if (!(cell instanceof Module) || typeof (cell as { initialCarry?: unknown }).initialCarry !== "function") {
      throw new ValueError(`RNN: cell must be an RNNCell, GRUCell or LSTMCell, got ${describeValue(cell)}`);
    }
    this.who = `RNN(${cell.constructor.name}(${cell.inFeatures}, ${cell.hiddenFeatures}))`;
    this.returnSequences = boolOption(this.who, "returnSequences", opts.returnSequences, true);
    this.reverse = boolOption(this.who, "reverse", opts.reverse, false);
    this.timeMajor = boolOption(this.who, "timeMajor", opts.timeMajor, false);
    this.stateful = boolOption(this.who, "stateful", opts.stateful, false);
    const batchShape = opts.batchShape ?? [1];
    if (!Array.isArray(batchShape) || batchShape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ValueError(`${this.who}: batchShape must be an array of non-negative integers, got ${describeValue(batchShape)}`);
    }
    this.carry = new HiddenState(this.zeroCarry(batchShape));
  }

  private zeroCarry(batchShape: readonly number[], dtype?: DType): CarryOf<C> {
    return (this.cell as RNNCell | GRUCell | LSTMCell).initialCarry(batchShape, dtype) as CarryOf<C>;
  }

  /** Zeroes the `carry` State for a batch shape (default: its current one). Call outside `jit`, or inside to reset a stateful step. */
  resetState(batchShape?: readonly number[], dtype?: DType): void {
    const h = tree.leaves(this.carry.value)[0] as Tensor;
    this.carry.value = this.zeroCarry(batchShape ?? h.shape.slice(0, -1), dtype ?? h.dtype);
  }

  /**
   * x: `[batch, T, features]` (`[T, batch, features]` with `timeMajor`, or unbatched `[T, features]`)
   * → `[batch, T, hidden]`, or `[batch, hidden]` without `returnSequences`.
   */
  call(x: ArrayLike, opts: RNNCallOptions<CarryOf<C>> = {}, ...extra: undefined[]): Tensor {
    opts = npUtil.optionsOf("RNN.call", opts, this.who, extra);
    const t = toFloat(x, this.who);
    if ((t.ndim !== 3 && t.ndim !== 2) || t.shape[t.ndim - 1] !== this.cell.inFeatures) {
      throw new ShapeError(`${this.who}: expected an input [batch, T, ${this.cell.inFeatures}]${this.timeMajor ? " (time major: [T, batch, features])" : ""} or [T, ${this.cell.inFeatures}], got shape [${t.shape.join(", ")}]`);
    }
    // scan loops over the leading axis: time first.
    const xs = t.ndim === 3 && !this.timeMajor ? np.swapaxes(t, 0, 1) : t;
    const batchShape = xs.shape.slice(1, -1);
    const start = opts.initialCarry ?? (this.stateful ? this.statefulCarry(batchShape) : this.zeroCarry(batchShape, t.dtype));
    const cell = this.cell as { call(c: unknown, x: Tensor): [unknown, Tensor] };
    const [final, ys] = scan((c, xt: Tensor) => cell.call(c, xt), start, xs, { reverse: this.reverse });
    this.carry.value = final as CarryOf<C>;
    if (!this.returnSequences) {
      // The last step run: position T − 1 going forward, position 0 in reverse.
      return np.take(ys as Tensor, np.array([this.reverse ? 0 : xs.shape[0]! - 1], { dtype: "int32" }), { axis: 0 }).reshape(ys.shape.slice(1));
    }
    return t.ndim === 3 && !this.timeMajor ? np.swapaxes(ys as Tensor, 0, 1) : (ys as Tensor);
  }

  /** The `carry` State's value, checked against the input's batch shape. */
  private statefulCarry(batchShape: readonly number[]): CarryOf<C> {
    const v = this.carry.value;
    const h = tree.leaves(v)[0] as Tensor;
    if (h.ndim !== batchShape.length + 1 || batchShape.some((d, i) => d !== h.shape[i])) {
      throw new ShapeError(`${this.who}: the stateful carry has batch shape [${h.shape.slice(0, -1).join(", ")}] but the input's is [${batchShape.join(", ")}]; call resetState([${batchShape.join(", ")}]) first`);
    }
    return v;
  }
}
