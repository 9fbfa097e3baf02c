/** kiln — JAX for TypeScript. The umbrella package: it only re-exports the workspace packages. */
export * from "@kiln/core";
export * from "@kiln/transforms";
export * from "@kiln/backend";
export * from "@kiln/nn";
