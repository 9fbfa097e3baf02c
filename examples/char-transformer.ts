/**
 * `npm run example -- char-transformer [--steps N]`: a small character-level language model on
 * examples/data/kiln-text.txt — token and position embeddings, two causal pre-LN
 * `TransformerEncoderLayer`s, a LayerNorm and a linear read-out to the characters — trained by one
 * jitted Adam step on random windows of the text, then sampled one character at a time.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { np, nn, optim, random, jit, grad, environ, ParamState, type Tensor } from "kiln";

const { values: args } = parseArgs({ options: { steps: { type: "string", default: "300" } } });
const steps = Number(args.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${args.steps}`);

const text = readFileSync(new URL("./data/kiln-text.txt", import.meta.url), "utf8").replace(/\s+/g, " ");
const vocab = [...new Set(text)].sort();
const idOf = new Map(vocab.map((c, i) => [c, i]));
const ids = Array.from(text, (c) => idOf.get(c)!);

random.seed(0);
const T = 32, batch = 16, d = 48, heads = 4;
// Window offsets from a small seeded generator, so each run sees the same batches.
let seed = 12345;
const nextUniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
function sampleBatch(): [Tensor, Tensor] {
  const starts = Array.from({ length: batch }, () => Math.floor(nextUniform() * (ids.length - T - 1)));
  const window = (shift: number) => np.array(starts.map((s) => ids.slice(s + shift, s + shift + T)), { dtype: "int32" });
  return [window(0), window(1)];   // inputs and next characters, [batch, T]
}

class CharTransformer extends nn.Module {
  embed = new nn.Embedding(vocab.length, d, { embeddingInit: new nn.init.Normal({ scale: 0.1 }) });
  position = new ParamState(new nn.init.Normal({ scale: 0.1 }).call([T, d]));
  blocks = [0, 1].map(() => new nn.TransformerEncoderLayer(d, heads, { dimFeedforward: 4 * d, dropout: 0, normFirst: true }));
  norm = new nn.LayerNorm(d);
  out = new nn.Linear(d, vocab.length);
  call(tokens: Tensor): Tensor {
    let h = this.embed.call(tokens).add(this.position.value);
    for (const block of this.blocks) h = block.call(h, { isCausal: true });
    return this.out.call(this.norm.call(h));   // logits [batch, T, vocab]
  }
}
const model = new CharTransformer();
const params = model.states(ParamState);
const opt = new optim.Adam(params, { lr: 3e-3 });
const step = jit((x: Tensor, y: Tensor) => {
  const [g, loss] = grad(() => nn.crossEntropy(model.call(x), y), { gradStates: params, returnValue: true })();
  opt.update(g);
  return loss;
});

const losses: number[] = [];
for (let i = 0; i < steps; i++) {
  losses.push(step(...sampleBatch()).itemSync());
  if (i === 0 || (i + 1) % 50 === 0) console.log(`step ${i + 1}: loss ${losses[i]!.toFixed(3)}`);
}

// Sampling: the last T characters in, the next one drawn from softmax(logits / 0.8) at the last position.
const predict = jit((x: Tensor) => environ.context({ fit: false }, () => nn.softmax(model.call(x).mul(1 / 0.8))));
const generated = ids.slice(0, T);
for (let i = 0; i < 160; i++) {
  const probs = predict(np.array([generated.slice(-T)], { dtype: "int32" })).dataSync();
  const last = probs.subarray((T - 1) * vocab.length);
  let u = nextUniform(), next = vocab.length - 1;
  for (let c = 0; c < vocab.length; c++) if ((u -= last[c]!) <= 0) { next = c; break; }
  generated.push(next);
}
console.log(`sample: ${generated.map((i) => vocab[i]).join("")}`);
console.log(`vocabulary ${vocab.length} characters; first loss ${losses[0]!.toFixed(3)}, final loss ${losses[losses.length - 1]!.toFixed(3)} after ${steps} steps (traced ${step.traceCount()} time)`);
