/**
 * `npm run example -- ei-network`: the classic conductance-based E/I network (BrainPy's COBA
 * "EINet", the Vogels–Abbott benchmark), scaled down: 80% excitatory and 20% inhibitory LIF neurons
 * driven by a constant current, recurrently connected through exponential synapses with COBA
 * outputs (reversal potentials 0 and −80 mV). Each neuron keeps the benchmark's ~64 excitatory and
 * ~16 inhibitory inputs whatever the size (the connection probability scales with 1/N), so the
 * inhibition-dominated asynchronous regime — rates of a few to a few tens of Hz, far below the
 * ~50 Hz the input alone would drive — survives the scaling. The simulation is one jitted
 * `forLoop`; writes a spike raster to examples/output/ei-network.svg.
 *
 * Defaults: 1000 neurons for 200 ms (dt 0.1 ms); `--neurons 4000 --time 1000` is the full benchmark.
 */
import { parseArgs } from "node:util";
import { np, nn, random, jit, forLoop, environ, slice, type Tensor } from "kiln";
import { SCHEMA, spikeRaster, writeSvg } from "./plot.js";

const { values: args } = parseArgs({
  options: {
    neurons: { type: "string", default: "1000" },
    time: { type: "string", default: "200" },       // ms
    dt: { type: "string", default: "0.1" },         // ms
  },
});
const N = Number(args.neurons), T_MS = Number(args.time), DT = Number(args.dt);
const N_E = Math.round(N * 0.8), N_I = N - N_E, STEPS = Math.round(T_MS / DT);

environ.set({ dt: DT });
random.seed(42);

/** The E/I network: one LIF population, an excitatory and an inhibitory projection onto it. */
class EINet extends nn.Module {
  readonly pop = new nn.LIFRef(N, { vRest: -60, vTh: -50, vReset: -60, tau: 20, tauRef: 5, spkReset: "hard", vInitializer: new nn.init.Normal({ mean: -55, scale: 2 }) });
  // The benchmark's in-degrees (80 inputs at 2% of 4000) at any size.
  readonly E = new nn.AlignPostProj({
    comm: new nn.FixedNumConn(N_E, N, { prob: 80 / N, weight: 0.6, seed: 1 }),
    syn: new nn.Expon(N, { tau: 5 }), out: new nn.COBA({ E: 0 }), post: this.pop,
  });
  readonly I = new nn.AlignPostProj({
    comm: new nn.FixedNumConn(N_I, N, { prob: 80 / N, weight: 6.7, seed: 2 }),
    syn: new nn.Expon(N, { tau: 10 }), out: new nn.COBA({ E: -80 }), post: this.pop,
  });

  /** One step (BrainState's order): the projections carry the last step's spikes, then the neurons integrate. */
  call(current: Tensor): Tensor {
    const spikes = this.pop.getSpike();
    this.E.update(spikes.get(slice(0, N_E)));
    this.I.update(spikes.get(slice(N_E, N)));
    return this.pop.update(current);
  }
}

const net = new EINet();
nn.initAllStates(net);
const simulate = jit((inputs: Tensor) => forLoop((x: Tensor) => net.call(x), inputs));

const t0 = performance.now();
const spikes = simulate(np.full([STEPS, N], 20)).toArraySync() as number[][];
const seconds = (performance.now() - t0) / 1000;

const total = spikes.reduce((a, row) => a + row.reduce((b, s) => b + s, 0), 0);
const rate = total / N / (T_MS / 1000);
const eRate = spikes.reduce((a, row) => a + row.slice(0, N_E).reduce((b, s) => b + s, 0), 0) / N_E / (T_MS / 1000);
console.log(`${N} neurons (${N_E} E, ${N_I} I), ${T_MS} ms at dt ${DT} ms: ${STEPS} steps in ${seconds.toFixed(1)} s`);
console.log(`mean firing rate ${rate.toFixed(1)} Hz (excitatory ${eRate.toFixed(1)} Hz)`);

const shown = Math.min(N, 400);
const points = spikes.flatMap((row, t) => row.slice(0, shown).flatMap((s, i) => (s > 0 ? [{ t: t * DT, neuron: i }] : [])));
const path = await writeSvg("examples/output/ei-network.svg", {
  $schema: SCHEMA,
  ...spikeRaster(points, { title: `E/I network spikes (first ${shown} neurons; E below ${Math.min(N_E, shown)})`, width: 520, height: 260 }),
});
console.log(`wrote ${path}`);
