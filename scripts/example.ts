/** `npm run example -- <name>` runs examples/<name>.ts. */
import { readdirSync } from "node:fs";

const name = process.argv[2];
const available = readdirSync(new URL("../examples/", import.meta.url)).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run example -- <name>\navailable: ${available.join(", ")}`);
  process.exit(2);
}
await import(`../examples/${name}.ts`);
