/**
 * Writes Vega-Lite charts to SVG files (examples only): vega renders headless in Node, no canvas.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as vega from "vega";
import * as vl from "vega-lite";

/** Renders a Vega-Lite spec to an SVG file and returns the path. */
export async function writeSvg(path: string, spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
  return path;
}
