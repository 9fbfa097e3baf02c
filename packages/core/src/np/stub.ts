/** Temporary: marks np functions whose implementation is in progress. Removed when all land. */
export function NotImplemented(name: string, ..._args: unknown[]): never {
  throw new Error(`${name} is not implemented yet`);
}
