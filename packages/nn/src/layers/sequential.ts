/**
 * Layer containers: `Sequential` chains modules and plain functions; `MLP` is a stack of `Linear`
 * layers with an activation between them.
 */
import { jsonOf } from "@kiln/core";
import { type ArrayLike, type Tensor, ValueError, npUtil } from "@kiln/core";
import { relu } from "../activations.js";
import { describeValue } from "@kiln/core";
import { type InitLike } from "../init.js";
import { Module } from "../module.js";
import { Linear } from "./linear.js";

/** A layer: a Module (its `call` is used) or a plain function such as `np.tanh`. */
export type Layer = Module | ((x: any) => any);

function checkLayer(who: string, layer: unknown, i: number): Layer {
  if (layer instanceof Module || typeof layer === "function") return layer as Layer;
  throw new ValueError(`${who}: layer ${i} must be a Module or a function, got ${describeValue(layer)}`);
}

/**
 * Applies one layer: a Module's `call`, or the function itself.
 * @example applyLayer(np.tanh, x) // np.tanh(x)
 */
export function applyLayer(layer: Layer, x: unknown): Tensor {
  return layer instanceof Module ? layer.call(x) : layer(x);
}

/**
 * Chains layers: `call(x)` feeds `x` through each in order. Modules are stored in `layers`, so
 * their States have paths `layers.0.weight`, `layers.2.bias`, ... (functions hold no State).
 * @example
 * const net = new nn.Sequential(new nn.Linear(2, 8), np.tanh, new nn.Linear(8, 1));
 * net.call(x); net.states(ParamState); // { "layers.0.bias", "layers.0.weight", "layers.2.bias", ... }
 */
export class Sequential extends Module {
  readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((l, i) => checkLayer("Sequential", l, i));
  }

  call(x: ArrayLike): Tensor {
    return this.layers.reduce<unknown>((h, layer) => applyLayer(layer, h), x) as Tensor;
  }
}

export interface MLPOptions {
  /** Applied after every layer but the last; default `relu`. */
  activation?: Layer;
  /** Applied after the last layer; default none (raw outputs, e.g. logits). */
  finalActivation?: Layer | null;
  /** Weight initializer of every layer (default KaimingNormal). */
  wInit?: InitLike;
  /** Bias initializer of every layer (default zeros; `null`: no biases). */
  bInit?: InitLike | null;
}

/**
 * A multilayer perceptron: `sizes = [in, hidden..., out]` gives `sizes.length - 1` `Linear`
 * layers (stored in `layers`, paths `layers.0.weight`, ...), with `activation` (default relu)
 * between them and `finalActivation` (default none) after the last.
 * @example
 * const mlp = new nn.MLP([2, 16, 16, 1], { activation: nn.tanh });
 * mlp.call(np.zeros([5, 2])).shape; // [5, 1]
 */
export class MLP extends Module {
  readonly layers: Linear[];
  readonly activation: Layer;
  readonly finalActivation: Layer | null;

  constructor(sizes: readonly number[], opts?: MLPOptions, ...extra: undefined[]) {
    super();
    opts = npUtil.optionsOf("MLP", opts, "MLP", extra);
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new ValueError(`MLP: sizes must list at least the input and output sizes, e.g. [2, 16, 1]; got ${jsonOf(sizes)}`);
    }
    this.activation = checkLayer("MLP activation", opts.activation ?? relu, 0);
    this.finalActivation = opts.finalActivation == null ? null : checkLayer("MLP finalActivation", opts.finalActivation, 0);
    const linearOpts = { ...(opts.wInit !== undefined && { wInit: opts.wInit }), ...(opts.bInit !== undefined && { bInit: opts.bInit }) };
    this.layers = sizes.slice(1).map((out, i) => new Linear(sizes[i]!, out, linearOpts));
  }

  call(x: ArrayLike): Tensor {
    let h = x as Tensor;
    this.layers.forEach((layer, i) => {
      h = layer.call(h);
      if (i < this.layers.length - 1) h = applyLayer(this.activation, h);
    });
    return this.finalActivation ? applyLayer(this.finalActivation, h) : h;
  }
}
