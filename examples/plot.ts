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

/**
 * A loss-curve chart (one unit of a Vega-Lite spec): `values` are `{ step, loss }` points; `log`
 * puts the loss on a log scale.
 * @example await writeSvg("out.svg", { $schema: SCHEMA, ...lossCurve(curve, { title: "training loss" }) });
 */
export function lossCurve(values: readonly { step: number; loss: number }[], opts: { title: string; width?: number; height?: number; log?: boolean }) {
  return {
    title: opts.title, width: opts.width ?? 320, height: opts.height ?? 220,
    data: { values: [...values] },
    mark: "line" as const,
    encoding: {
      x: { field: "step", type: "quantitative" as const },
      y: { field: "loss", type: "quantitative" as const, ...(opts.log ?? true ? { scale: { type: "log" as const } } : {}) },
    },
  };
}

/** The Vega-Lite schema the examples' charts declare. */
/**
 * A spike raster (one unit of a Vega-Lite spec): one tick per `{ t, neuron }` spike, time in ms.
 * @example await writeSvg("raster.svg", { $schema: SCHEMA, ...spikeRaster(points, { title: "spikes" }) });
 */
export function spikeRaster(points: readonly { t: number; neuron: number }[], opts: { title: string; width?: number; height?: number }) {
  return {
    title: opts.title, width: opts.width ?? 260, height: opts.height ?? 200, data: { values: points as { t: number; neuron: number }[] },
    mark: { type: "tick" as const, orient: "vertical" as const, thickness: 2 },
    encoding: { x: { field: "t", type: "quantitative" as const, title: "time (ms)" }, y: { field: "neuron", type: "quantitative" as const, title: "neuron" } },
  };
}

export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
