/**
 * @kiln/nn — modules, layers, initializers, losses and optimizers (the computation environment,
 * `environ`, lives in @kiln/core),
 * on top of @kiln/core States (BrainState's `brainstate.nn`, `optim`, `environ`).
 * @example
 * import { nn, optim, environ, treefyStates } from "kiln";
 */
export * as nn from "./nn.js";
export * as optim from "./optim/index.js";
export * as data from "./data/index.js";
export { treefyStates, type NestedStates, type TreefiedStates } from "./module.js";
