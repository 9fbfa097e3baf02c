/**
 * The main demo (`npm start`): lazy arrays, the recorded graph, and realization on read.
 */
import { np, makeGraph, printGraph } from "kiln";

const x = np.linspace === undefined ? np.array([0]) : np.array([-2, -1, 0, 1, 2]);
const y = np.tanh(x.mul(1.5).add(0.5)).mul(np.sigmoid(x)).sub(x.mul(x).mul(0.1));
console.log("recorded, not computed:", y.toString === undefined ? "" : `${y.dtype}[${y.shape}]`);
console.log(printGraph(makeGraph([], [y.node])));
console.log("values:", await y.toArray());
