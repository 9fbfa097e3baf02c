/**
 * Per-example gradients with vmap(grad(f)) — what seed 000's "vector_grad" section is after —
 * compared with a loop over the examples, then the same jitted (one compiled graph for the batch).
 * Run: npm run example -- per-sample-grads
 */
import { type Tensor, grad, jit, np, vmap } from "kiln";

// A linear model's squared error on one example.
const loss = (w: Tensor, x: Tensor, y: Tensor) => np.sum(x.mul(w)).sub(y).square();

const w = np.array([0.5, -1, 2]);
const xs = np.array([[1, 2, 3], [0, 1, 0], [2, 2, 2], [1, 0, -1]]);
const ys = np.array([1, 0, 2, -1]);

const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
const batched = perExample(w, xs, ys) as Tensor;
console.log("vmap(grad(loss)):", batched.toArraySync());

// The same numbers one example at a time.
const looped = [0, 1, 2, 3].map((i) => (grad(loss)(w, xs.get(i), ys.get(i)) as Tensor).toArraySync());
console.log("loop over examples:", looped);

// Jitted: traced once for this signature, then replayed.
const fast = jit(perExample);
console.log("jit(vmap(grad(loss))):", (fast(w, xs, ys) as Tensor).toArraySync());
// Their norms, e.g. for per-example gradient clipping (DP-SGD).
console.log("per-example gradient norms:", np.sqrt(np.sum(batched.square(), { axis: 1 })).toArraySync());
