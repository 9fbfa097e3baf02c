/**
 * `Dropout`: inverted dropout while training (`environ.get("fit")`), the identity otherwise.
 */
import { type ArrayLike, type Tensor, ValueError, np, npUtil, random } from "@kiln/core";
import { environ } from "@kiln/core";
import { Module } from "../module.js";

/**
 * Zeroes each element with probability `rate` and scales the survivors by 1 / (1 − rate), so the
 * expected output equals the input; the identity when `environ.get("fit")` is false or rate is 0.
 * Note: `rate` is the *drop* probability (Flax/Keras); BrainState's `Dropout(prob)` takes the
 * keep probability. Masks come from the stateful `random` generator.
 * @example
 * const drop = new nn.Dropout(0.5);
 * drop.call(x);                                          // training: about half zeroed, rest doubled
 * environ.context({ fit: false }, () => drop.call(x));   // evaluation: x unchanged
 */
export class Dropout extends Module {
  constructor(readonly rate: number, ...extra: undefined[]) {
    super();
    npUtil.noExtraArgs("Dropout", 1, extra);
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
      throw new ValueError(`Dropout: rate is the probability of dropping an element and must be in [0, 1], got ${String(rate)}`);
    }
  }

  call(x: ArrayLike): Tensor {
    const t = npUtil.asTensor(x, "Dropout");
    if (!environ.get("fit") || this.rate === 0) return t;
    // rate 1 drops everything; dividing by 1 − rate = 0 would put NaN into the gradient.
    if (this.rate === 1) return np.zerosLike(t);
    const keep = 1 - this.rate;
    const mask = random.bernoulli({ p: keep, size: t.shape });
    return np.where(mask, t.div(keep), 0);
  }
}
