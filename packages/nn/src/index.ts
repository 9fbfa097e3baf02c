/**
 * @kiln/nn — modules, layers, initializers, losses, optimizers and the computation environment,
 * on top of @kiln/core States (BrainState's `brainstate.nn`, `optim`, `environ`).
 * @example
 * import { nn, optim, environ, treefyStates } from "kiln";
 */
export * as nn from "./nn.js";
export * as optim from "./optim/index.js";
export { environ, type EnvironSettings } from "./environ.js";
export { treefyStates, type NestedStates, type TreefiedStates } from "./module.js";
