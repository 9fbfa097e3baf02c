/**
 * kiln/internal — UNSTABLE. Everything the workspace packages export, public or not: graph nodes
 * and primitives (`makeNode`, `PRIMITIVES`), rewrite passes, the reference interpreter, executors
 * and realization (`setExecutor`, `realize`), kernels, renderers and runtimes (`renderJs`,
 * `scheduleGraph`), cache hooks and test probes. It exists for kiln's own tests, benchmarks and
 * tools, and for people extending kiln; names and signatures change without notice and are not in
 * the API reference. Programs should import from `kiln`, whose every name is documented and stable.
 * @example
 * import { interpret, makeGraph, printGraph } from "kiln/internal";
 */
export * from "@kiln/core";
export * from "@kiln/transforms";
export * from "@kiln/backend";
export * from "@kiln/nn";
