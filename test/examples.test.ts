/**
 * The runnable examples run: each is started as its own process (as `npm run example -- <name>`
 * does) and must exit cleanly with the output it documents.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(name: string, args: string[] = [], timeout = 120_000): string {
  return execFileSync(process.execPath, ["--conditions=kiln-source", "--import", "tsx", `examples/${name}.ts`, ...args], { cwd: root, encoding: "utf8", timeout });
}

describe("examples", function () {
  this.timeout(150_000);

  it("per-sample-grads: vmap(grad(f)), the loop over examples and the jitted form agree", () => {
    const out = run("per-sample-grads");
    const rows = out.split("\n").filter((l) => l.includes(": [")).map((l) => l.slice(l.indexOf(": [") + 2));
    expect(rows).to.have.length(4);
    expect(rows[0]).to.equal(rows[1]).and.to.equal(rows[2]);
    expect(rows[0]!.replace(/\s/g, "")).to.equal("[[7,14,21],[-0,-2,-0],[4,4,4],[-1,-0,1]]");
  });

  it("sine-regression: trains below 0.01 and writes its plot", () => {
    const out = run("sine-regression");
    const loss = Number(/final loss ([\d.e-]+)/.exec(out)?.[1]);
    expect(loss).to.be.below(0.01);
    expect(out).to.contain("sine-regression.svg");
  });

  it("spiking: a Linear-LIF-Linear-LIF network trained with BPTT learns digits and writes its raster plot", () => {
    const out = run("spiking");
    const [, first, last] = /loss ([\d.]+) -> ([\d.]+)/.exec(out) ?? [];
    expect(Number(last), out).to.be.below(Number(first) * 0.6);
    expect(Number(/held-out accuracy ([\d.]+)%/.exec(out)?.[1]), out).to.be.above(40);
    expect(out).to.contain("spiking.svg");
  });

  it("ei-network (short run): the COBA E/I network settles in the inhibition-dominated asynchronous regime and writes its raster", function () {
    // The input alone drives each neuron at ~53 Hz (ISI 20 ln 2 + 5 ms refractory); recurrent
    // inhibition holds the population well below that, without falling silent.
    this.timeout(300_000);
    const out = run("ei-network", ["--neurons", "500", "--time", "100"], 280_000);
    const rate = Number(/mean firing rate ([\d.]+) Hz/.exec(out)?.[1]);
    expect(rate, out).to.be.within(3, 45);
    expect(out).to.contain("ei-network.svg");
  });

  it("gru-sine (short run): a GRU trained through scan in one jitted step; the loss falls toward the noise floor", () => {
    const out = run("gru-sine", ["--steps", "150"]);
    const [first, final] = [/first loss ([\d.e-]+)/, /final loss ([\d.e-]+)/].map((r) => Number(r.exec(out)?.[1]));
    expect(final).to.be.below(0.05);   // noise alone is 0.01
    expect(first).to.be.above(final! * 5);
    expect(out).to.contain("traced 1 time");
    expect(out).to.contain("gru-sine.svg");
  });

  it("char-transformer (short run): the loss falls and a sample is printed", () => {
    const out = run("char-transformer", ["--steps", "60"]);
    const [first, final] = [/first loss ([\d.e-]+)/, /final loss ([\d.e-]+)/].map((r) => Number(r.exec(out)?.[1]));
    expect(first).to.be.above(2.5);   // about ln(vocabulary) at the start
    expect(final).to.be.below(first! * 0.6);
    expect(out).to.contain("traced 1 time");
    expect(/sample: (.{180,})/.exec(out)?.[1]).to.be.a("string");
  });

  it("digits: a short run of the CNN reaches 95% held-out accuracy, and its checkpoint reloads in a fresh process to the same", function () {
    // 150 steps (1.2 epochs at the constant learning rate): ~30 s on this machine, idle.
    this.timeout(300_000);
    const out = run("digits", ["--epochs", "2", "--steps", "150", "--checkpoint", "examples/output/digits-test.safetensors"], 280_000);
    const accuracy = Number(/^held-out accuracy ([\d.]+)/m.exec(out)?.[1]);
    expect(accuracy).to.be.at.least(0.95);
    expect(out).to.match(new RegExp(`a fresh process reloads it and scores ${accuracy.toFixed(4)} \\(the same\\)`));
    expect(out).to.contain("digits-loss.svg").and.to.contain("digits-confusion.svg");
  });
});

