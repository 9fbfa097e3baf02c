// Removes every package's build output (dist/ and the tsbuildinfo): `tsc -b` never deletes the
// output of a source file that was moved or deleted, and a stale file would be packed and shipped.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "packages");
for (const pkg of readdirSync(root)) {
  rmSync(join(root, pkg, "dist"), { recursive: true, force: true });
  rmSync(join(root, pkg, "tsconfig.tsbuildinfo"), { force: true });
}
