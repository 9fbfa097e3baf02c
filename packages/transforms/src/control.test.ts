import { expect } from "chai";
import {
  DTypeError, type Node, ShapeError, State, StateError, Tensor, ValueError, controlCallOf, makeGraph, np, topoSort,
} from "@kiln/core";
import {
  checkpoint, cond, customVjp, forLoop, grad, hessian, jacfwd, jit, jvp, scan, valueAndGrad, vjp, whileLoop,
} from "./index.js";
import { jvpNodes, vjpNodes } from "./derive.js";
import { CALL_JVP_RULES } from "./rules/control.js";
import { transformStats } from "./trace.js";
import { expectClose } from "@kiln/core/testing";

const f64 = (v: number | number[] | number[][] | number[][][]) => np.array(v, { dtype: "float64" });
const T = (x: unknown) => x as Tensor;

/** Distinct control calls in the graph computing `ts`, outside any sub-graph. */
function callsIn(ts: Tensor[]): ReturnType<typeof controlCallOf>[] {
  return [...new Set(topoSort(ts.map((t) => t.node)).map(controlCallOf).filter((c) => c !== undefined))];
}

// A small RNN over 10 steps, in float64 JS: h' = tanh(h W + x U + b); loss = sum(h_T) + 0.5 * sum of all h_t.
const H = 3, I = 2, STEPS = 10;
const W0 = [[0.5, -0.3, 0.1], [0.2, 0.4, -0.6], [-0.1, 0.3, 0.2]];
const U0 = [[0.7, -0.2, 0.05], [-0.4, 0.3, 0.6]];
const B0 = [0.1, -0.05, 0.2];
const XS = Array.from({ length: STEPS }, (_, t) => [Math.sin(t), Math.cos(0.7 * t)]);

function rnnLossJs(W: number[][], U: number[][], b: number[], h0: number[]): number {
  let h = h0, total = 0;
  for (const x of XS) {
    h = b.map((bj, j) => Math.tanh(bj + h.reduce((s, hi, i) => s + hi * W[i]![j]!, 0) + x.reduce((s, xi, i) => s + xi * U[i]![j]!, 0)));
    total += 0.5 * h.reduce((a, c) => a + c, 0);
  }
  return total + h.reduce((a, c) => a + c, 0);
}

/** Central differences of the float64 JS loss with respect to every entry of one parameter. */
function numericGrad(which: 0 | 1 | 2 | 3): number[] {
  const params: [number[][], number[][], number[], number[]] = [W0.map((r) => [...r]), U0.map((r) => [...r]), [...B0], [0.3, -0.2, 0.1]];
  const flat = (p: number[] | number[][]) => (Array.isArray(p[0]) ? (p as number[][]).flat() : (p as number[]));
  const n = flat(params[which]).length, eps = 1e-6, out: number[] = [];
  for (let k = 0; k < n; k++) {
    const at = (d: number) => {
      const ps = params.map((p) => JSON.parse(JSON.stringify(p))) as typeof params;
      const target = ps[which];
      if (Array.isArray(target[0])) (target as number[][])[Math.floor(k / (target as number[][])[0]!.length)]![k % (target as number[][])[0]!.length]! += d;
      else (target as number[])[k]! += d;
      return rnnLossJs(...ps);
    };
    out.push((at(eps) - at(-eps)) / (2 * eps));
  }
  return out;
}

const xsT = () => f64(XS);
const rnnScan = (W: Tensor, U: Tensor, b: Tensor, h0: Tensor) => {
  const [h, hs] = scan((h: Tensor, x: Tensor) => {
    const n = np.tanh(h.matmul(W).add(x.matmul(U)).add(b));
    return [n, n.sum()];
  }, h0, xsT());
  return T(h).sum().add(T(hs).sum().mul(0.5));
};
const rnnUnrolled = (W: Tensor, U: Tensor, b: Tensor, h0: Tensor) => {
  let h = h0, total: Tensor = f64(0);
  for (let t = 0; t < STEPS; t++) {
    h = np.tanh(h.matmul(W).add(xsT().get(t).matmul(U)).add(b));
    total = total.add(h.sum().mul(0.5));
  }
  return h.sum().add(total);
};

describe("scan", () => {
  it("computes carry and stacked ys like a JS loop (pytrees, reverse, null xs, zero length)", () => {
    const xs = { a: np.array([1, 2, 3, 4]), b: np.array([[1, 0], [0, 1], [1, 1], [2, 2]]) };
    const [c, ys] = scan((c: { s: Tensor }, x: { a: Tensor; b: Tensor }) => [{ s: c.s.add(x.a) }, [c.s.mul(x.a), x.b.sum()]], { s: np.array(10) }, xs);
    // JS: s = 10, 11, 13, 16, 20; ys0 = s_before * a = [10, 22, 39, 64]; ys1 = row sums.
    expectClose(c.s, 20);
    expectClose(ys[0], [10, 22, 39, 64]);
    expectClose(ys[1], [1, 1, 2, 4]);

    const [cr, yr] = scan((c: Tensor, x: Tensor) => [c.add(x), c], np.array(0), np.array([1, 2, 3, 4]), { reverse: true });
    expectClose(cr, 10);
    expectClose(yr, [9, 7, 4, 0]); // each y at its x's position: x=4 first (c=0), then 3 (c=4), 2 (c=7), 1 (c=9)

    const [cn, yn] = scan((c: Tensor) => [c.mul(2), c], np.array([1, -1]), null, { length: 3 });
    expectClose(cn, [8, -8]);
    expectClose(yn, [[1, -1], [2, -2], [4, -4]]);

    const [c0, y0] = scan((c: Tensor, x: Tensor) => [c.add(x.sum()), x.mul(2)], np.array(5), np.zeros([0, 3]));
    expectClose(c0, 5);
    expect(T(y0).shape).to.deep.equal([0, 3]);
  });

  it("promotes a weakly typed (JS number) init to the carry's dtype, as JAX", () => {
    const [c, ys] = scan((c: Tensor, x: Tensor) => [c.add(x), c], 0, np.array([0.5, 1.5]));
    expect(T(c).dtype).to.equal("float32");
    expectClose(c, 2);
    expectClose(ys, [0, 0.5]);
  });

  it("closed-over values become operands: no data inside the body, the weight is an input", () => {
    const w = np.array([2, 3]);
    const [c] = scan((c: Tensor, x: Tensor) => [c.mul(w).add(x), c], np.array([1, 1]), np.ones([3, 2]));
    const call = controlCallOf(T(c).node)!;
    expect(call.kind).to.equal("scan");
    if (call.kind !== "scan") return;
    expect(call.body.nodes.some((n) => n.prim === "data")).to.equal(false);
    expect(T(c).node.inputs).to.include(w.node);
    expectClose(c, [2 * (2 * (2 + 1) + 1) + 1, 3 * (3 * (3 + 1) + 1) + 1]);
  });

  it("is not unrolled: the graph has the same size for 10 and 1000 steps, and 1000 steps run quickly", () => {
    const f = (n: number) => scan((c: Tensor, x: Tensor) => [c.mul(0.99).add(x), c.sum()], np.zeros([4]), np.ones([n, 4]));
    const size = (n: number) => makeGraph([], (f(n) as Tensor[]).map((t) => t.node)).nodes.length;
    expect(size(1000)).to.equal(size(10));
    expect(size(1000)).to.be.below(12);
    const start = Date.now();
    const [c] = f(1000);
    const expected = (1 - 0.99 ** 1000) / 0.01;
    expectClose(c, [expected, expected, expected, expected], { rtol: 1e-4 });
    expect(Date.now() - start).to.be.below(3000);
  });

  it("nested scan in scan", () => {
    const rows = np.array([[1, 2, 3], [4, 5, 6]]);
    const [c, ys] = scan((c: Tensor, row: Tensor) => {
      const [s, partial] = scan((a: Tensor, v: Tensor) => [a.add(v.mul(c)), a], np.array(0), row);
      return [c.add(1), [s, partial]];
    }, np.array(2), rows);
    // Row 0 with c=2: partial sums [0, 2, 6], s = 12. Row 1 with c=3: [0, 12, 27], s = 45.
    expectClose(c, 4);
    expectClose(ys[0], [12, 45]);
    expectClose(ys[1], [[0, 2, 6], [0, 12, 27]]);
  });

  it("jit(scan) traces once across calls and gives fresh values", () => {
    const f = jit((h: Tensor, xs: Tensor) => scan((c: Tensor, x: Tensor) => [c.mul(x), c], h, xs));
    const [a] = f(np.array(1), np.array([2, 3]));
    const [b, ys] = f(np.array(2), np.array([5, 7]));
    expectClose(a, 6);
    expectClose(b, 70);
    expectClose(ys, [2, 10]);
    expect(f.traceCount()).to.equal(1);
  });
});

describe("scan autodiff", () => {
  const args = () => [f64(W0), f64(U0), f64(B0), f64([0.3, -0.2, 0.1])];

  it("grad through a 10-step RNN scan matches finite differences and the unrolled loop", () => {
    const g = grad(rnnScan, { argnums: [0, 1, 2, 3] })(...args()) as Tensor[];
    const unrolled = grad(rnnUnrolled, { argnums: [0, 1, 2, 3] })(...args()) as Tensor[];
    ([0, 1, 2, 3] as const).forEach((k) => {
      expectClose(T(g[k]).reshape([-1]), numericGrad(k), { rtol: 1e-6, atol: 1e-8 });
      expectClose(g[k]!, unrolled[k]!.toArraySync() as number[], { rtol: 1e-10, atol: 1e-12 });
    });
    expectClose(rnnScan(...(args() as [Tensor, Tensor, Tensor, Tensor])), rnnLossJs(W0, U0, B0, [0.3, -0.2, 0.1]), { rtol: 1e-12 });
  });

  it("differentiates every output of one scan in a single backward scan (siblings grouped)", () => {
    const [, g] = valueAndGrad(rnnScan)(...args());
    const calls = callsIn([g as Tensor]);
    expect(calls.map((c) => c!.kind)).to.deep.equal(["scan", "scan"]); // the forward with residuals, one backward
    expect(calls.filter((c) => c!.kind === "scan" && c!.reverse).length).to.equal(1);
  });

  it("jvp (forward mode) through scan, and jacfwd agrees with grad", () => {
    const [W, U, b, h0] = args() as [Tensor, Tensor, Tensor, Tensor];
    const dir = f64([[1, 0, 0], [0, 0, 0], [0, 0, -1]]);
    const [, t] = jvp((w: Tensor) => rnnScan(w, U, b, h0), [W], [dir]);
    const num = numericGrad(0);
    expectClose(t, num[0]! - num[8]!, { rtol: 1e-6 });
    const jf = jacfwd((bb: Tensor) => rnnScan(W, U, bb, h0))(b);
    expectClose(jf, numericGrad(2), { rtol: 1e-6 });
  });

  it("reverse scans, carries of ints, closed-over weights and second derivatives", () => {
    // h_{t+1} = w * h_t + x_t over x = [1, 1, 1] from h0 = 1 (reverse order does not matter here):
    // h_3 = w^3 + w^2 + w + 1, so d/dw = 3w^2 + 2w + 1 and d2/dw2 = 6w + 2.
    const f = (w: Tensor) => {
      const [[h, i]] = scan(([h, i]: Tensor[], x: Tensor) => [[h.mul(w).add(x), i.add(1)], i], [f64(1), np.array(0)], f64([1, 1, 1]), { reverse: true });
      return T(h);
    };
    expectClose(grad(f)(f64(2)), 3 * 4 + 4 + 1);
    expectClose(grad(grad(f))(f64(2)), 6 * 2 + 2);
    expectClose(hessian(f)(f64(0.5)), 6 * 0.5 + 2);
  });

  it("gradients with respect to xs and init, and through the stacked ys only", () => {
    const f = (h0: Tensor, xs: Tensor) => T(scan((h: Tensor, x: Tensor) => [h.mul(x), h.mul(h)], h0, xs)[1]).sum();
    // ys = [h0^2, (h0 x0)^2, (h0 x0 x1)^2] with xs = [2, 3, 4]: sum = h0^2 (1 + 4 + 36).
    const [gh, gx] = grad(f, { argnums: [0, 1] })(f64(1.5), f64([2, 3, 4])) as Tensor[];
    expectClose(gh!, 2 * 1.5 * 41);
    // d/dx0 = h0^2 (2 x0 + 2 x0 x1^2) = 2.25 * (4 + 36); d/dx1 = h0^2 x0^2 2 x1 = 2.25 * 4 * 6; d/dx2 = 0.
    expectClose(gx!, [2.25 * 40, 2.25 * 24, 0]);
  });
});

describe("scan autodiff: nesting, jit and the drivers", () => {
  it("grad through a scan nested in a scan, and through a cond inside a scan body", () => {
    // Inner: s = c * sum(row); outer: c' = c (1 + 0.1 sum(row)). With row sums 6 and 15 the final
    // carry is c0 * 1.6 * 2.5; d/d row0[j] = 0.1 c0 * 2.5, d/d row1[j] = 0.1 c0 * 1.6.
    const f = (c0: Tensor, rows: Tensor) => T(scan((c: Tensor, row: Tensor) => {
      const [s] = scan((a: Tensor, v: Tensor) => [a.add(v.mul(c)), a], f64(0), row);
      return [c.add(T(s).mul(0.1)), s];
    }, c0, rows)[0]);
    const rows = f64([[1, 2, 3], [4, 5, 6]]);
    const [gc, gr] = grad(f, { argnums: [0, 1] })(f64(2), rows) as Tensor[];
    expectClose(gc!, 1.6 * 2.5, { rtol: 1e-12 });
    expectClose(gr!, [[0.5, 0.5, 0.5], [0.32, 0.32, 0.32]], { rtol: 1e-12 });
    // A leaky ReLU through cond per step: h' = cond(h + x > 0, 2(h + x), 0.5(h + x)).
    const g = (h0: Tensor) => T(scan((h: Tensor, x: Tensor) => {
      const z = h.add(x);
      return [cond(z.gt(0), (v: Tensor) => v.mul(2), (v: Tensor) => v.mul(0.5), z), z];
    }, h0, f64([1, -5, 3]))[0]);
    // From h0 = 1: z = 2 -> 4; z = -1 -> -0.5; z = 2.5 -> 5. d/dh0 = 2 * 0.5 * 2 = 2.
    expectClose(g(f64(1)), 5);
    expectClose(grad(g)(f64(1)), 2);
    expectClose(jit(grad(g))(f64(1)), 2);
  });

  it("custom derivative rules inside bodies are honoured (checkpoint in scan, customVjp in cond)", () => {
    const block = checkpoint((h: Tensor, w: Tensor) => np.tanh(h.mul(w)));
    const f = (w: Tensor) => T(scan((h: Tensor, x: Tensor) => [block(h, w).add(x), h], f64(0.5), f64([1, 2]))[0]);
    // h1 = tanh(0.5 w) + 1, h2 = tanh(w h1) + 2: dh2/dw = (1 - tanh²(w h1)) (h1 + w (1 - tanh²(0.5 w)) 0.5).
    const w = 0.7, h1 = Math.tanh(0.5 * w) + 1;
    const d = (1 - Math.tanh(w * h1) ** 2) * (h1 + w * (1 - Math.tanh(0.5 * w) ** 2) * 0.5);
    expectClose(grad(f)(f64(w)), d, { rtol: 1e-12 });
    const tenfold = customVjp((x: Tensor) => x.mul(1));
    tenfold.defVjp((x: Tensor) => [x.mul(1), null], (_r: unknown, g: Tensor) => [g.mul(10)]);
    // d/dx of tenfold(x) * x through the rule: 10 x + x.
    expectClose(grad((x: Tensor) => cond(true, (v: Tensor) => tenfold(v).mul(v), (v: Tensor) => v, x) as Tensor)(f64(2)), 22);
  });

  it("gradStates: a ParamState read inside a scan body is differentiated", () => {
    const w = new State(f64(1.5), { name: "w" });
    const loss = () => T(scan((h: Tensor) => [h.mul(w.value).add(1), h], f64(1), null, { length: 2 })[0]);
    // h2 = w^2 + w + 1: d/dw = 2w + 1.
    expectClose(grad(loss, { gradStates: w })() as Tensor, 4);
  });

  it("vjpNodes sends every sibling's cotangent into one backward scan; jvpNodes builds one forward op", () => {
    const xs = f64([0.5, -1, 2]);
    const [c, ys] = scan((h: Tensor, x: Tensor) => { const n = np.tanh(h.mul(x)); return [n, n.mul(n)]; }, f64(0.7), xs) as Tensor[];
    const ctC = f64(1.5), ctY = f64([1, -2, 0.5]);
    const [both] = vjpNodes([c!, ys!], [ctC, ctY], [xs.node]);
    const [onlyC] = vjpNodes([c!], [ctC], [xs.node]);
    const [onlyY] = vjpNodes([ys!], [ctY], [xs.node]);
    // (Counted before reading: a realized Tensor's handle points at its data.)
    expect(callsIn([both!]).filter((k) => k!.kind === "scan" && k!.reverse).length).to.equal(1);
    expectClose(both!, (onlyC!.add(onlyY!)).toArraySync() as number[], { rtol: 1e-12 });
    // The call-level forward rule runs once for both siblings.
    const rule = CALL_JVP_RULES.scan;
    let runs = 0;
    CALL_JVP_RULES.scan = (...a) => (runs++, rule(...a));
    let tc: Tensor | null, ty: Tensor | null;
    try {
      [tc, ty] = jvpNodes([c!, ys!], new Map([[xs.node, f64([1, 0, 0])]]));
    } finally {
      CALL_JVP_RULES.scan = rule;
    }
    expect(runs).to.equal(1);
    // Against central differences of the same scan in float64 JS.
    const run = (x0: number) => {
      let h = 0.7;
      const out: number[] = [];
      for (const x of [x0, -1, 2]) (h = Math.tanh(h * x)), out.push(h * h);
      return [h, ...out];
    };
    const [p, m] = [run(0.5 + 1e-6), run(0.5 - 1e-6)];
    const fd = p.map((v, i) => (v - m[i]!) / 2e-6);
    expectClose(tc!, fd[0]!, { rtol: 1e-6 });
    expectClose(ty!, fd.slice(1), { rtol: 1e-6, atol: 1e-9 });
  });
});

describe("cond", () => {
  it("takes either branch eagerly, with pytree operands and outputs and int predicates", () => {
    const x = np.array([1, 2, 3]);
    const br = (sign: number) => (v: Tensor, s: { k: Tensor }) => ({ y: v.mul(sign), k: s.k.add(1) });
    const t = cond(np.array(true), br(2), br(-1), x, { k: np.array(5) });
    const f = cond(np.array(false), br(2), br(-1), x, { k: np.array(5) });
    expectClose(t.y, [2, 4, 6]);
    expectClose(f.y, [-1, -2, -3]);
    expectClose(f.k, 6);
    expectClose(cond(np.array(3, { dtype: "int32" }), (v: Tensor) => v, (v: Tensor) => v.neg(), x), [1, 2, 3]);
    expectClose(cond(0, (v: Tensor) => v, (v: Tensor) => v.neg(), np.zeros([0])), []);
    // A JS-number output takes the other branch's dtype (weak type).
    const w = cond(true, () => 1, () => np.array(2.5), x);
    expect(T(w).dtype).to.equal("float32");
    expectClose(w, 1);
  });

  it("under jit: one trace, both branches work", () => {
    const f = jit((p: Tensor, x: Tensor) => cond(p, (v: Tensor) => v.exp(), (v: Tensor) => v.sin(), x));
    expectClose(f(np.array(true), np.array([0, 1])), [1, Math.E], { rtol: 1e-6 });
    expectClose(f(np.array(false), np.array([0, 1])), [0, Math.sin(1)], { rtol: 1e-6 });
    expect(f.traceCount()).to.equal(1);
  });

  it("grad and jvp in both branches (a piecewise function of the argument itself)", () => {
    const f = (x: Tensor) => cond(x.gt(0), (v: Tensor) => v.mul(v).mul(v), (v: Tensor) => np.sin(v).mul(2), x);
    expectClose(grad(f)(f64(2)), 12);
    expectClose(grad(f)(f64(-1)), 2 * Math.cos(-1));
    expectClose(jvp(f, [f64(2)], [f64(0.5)])[1], 6);
    expectClose(jvp(f, [f64(-1)], [f64(0.5)])[1], Math.cos(-1));
    expectClose(grad(grad(f))(f64(2)), 12);
    // A closed-over value is differentiated through the branch that uses it.
    const g = (w: Tensor) => cond(true, (v: Tensor) => v.mul(w), (v: Tensor) => v, f64(3)) as Tensor;
    expectClose(grad(g)(f64(5)), 3);
    // Operands the output does not depend on in the taken branch get zero.
    const h = (a: Tensor, b: Tensor) => cond(false, (u: Tensor, v: Tensor) => u.mul(v), (u: Tensor) => u.mul(4), a, b) as Tensor;
    const [ga, gb] = grad(h, { argnums: [0, 1] })(f64(2), f64(7)) as Tensor[];
    expectClose(ga!, 4);
    expectClose(gb!, 0);
  });
});

describe("whileLoop", () => {
  it("runs until the condition is false, like a JS while loop", () => {
    const [i, x] = whileLoop(([i]: Tensor[]) => i.lt(10), ([i, x]: Tensor[]) => [i.add(1), x.mul(2)], [0, np.array(1)]);
    expectClose(i, 10);
    expectClose(x, 1024);
    // Zero iterations: the init comes back.
    expectClose(whileLoop((v: Tensor) => v.sum().gt(100), (v: Tensor) => v.mul(2), np.array([3])), [3]);
  });

  it("forward mode works; reverse mode throws a clear error naming scan/forLoop", () => {
    const f = (x: Tensor) => whileLoop((v: Tensor) => v.lt(100), (v: Tensor) => v.mul(2), x) as Tensor;
    // 3 -> 6 -> ... -> 192 after six doublings: d/dx = 2^6.
    expectClose(jvp(f, [f64(3)], [f64(1)])[1], 64);
    expect(() => grad(f)(f64(3))).to.throw(ValueError, /whileLoop.*scan or forLoop/);
    expect(() => vjp(f, f64(3))[1](f64(1))).to.throw(ValueError, /reverse-mode/);
  });

  it("counts its iterations into a State, under jit", () => {
    const count = new State(np.array(0), { name: "count" });
    const f = jit((x: Tensor) => whileLoop((v: Tensor) => v.lt(100), (v: Tensor) => {
      count.value = count.value.add(1);
      return v.mul(2);
    }, x));
    expectClose(f(np.array(3)), 192);
    expectClose(count.value, 6);
    expectClose(f(np.array(50)), 100);
    expectClose(count.value, 7);
    expect(f.traceCount()).to.equal(1);
  });
});

describe("States inside control flow", () => {
  it("cond with different States written in each branch (eager and under jit)", () => {
    const a = new State(np.array([1, 2]), { name: "a" });
    const b = new State(np.array(10), { name: "b" });
    const step = (p: Tensor | boolean) => cond(p, () => { a.value = a.value.mul(3); return a.value.sum(); }, () => { b.value = b.value.add(a.value.sum()); return b.value; });
    expectClose(step(true), 9);
    expectClose(a.value, [3, 6]);
    expectClose(b.value, 10);
    expectClose(step(false), 19);
    expectClose(a.value, [3, 6]);
    expectClose(b.value, 19);
    const jitted = jit((p: Tensor) => step(p));
    jitted(np.array(true));
    jitted(np.array(false));
    expectClose(a.value, [9, 18]);
    expectClose(b.value, 19 + 27);
    expect(jitted.traceCount()).to.equal(1);
  });

  it("scan carries written States and reads others as loop invariants; grad sees a closed-over State read", () => {
    const acc = new State(np.array(0), { name: "acc" });
    const scale = new State(np.array(2), { name: "scale" });
    const [, ys] = scan((c: Tensor, x: Tensor) => {
      acc.value = acc.value.add(x.mul(scale.value));
      return [c, acc.value];
    }, null, np.array([1, 2, 3]));
    expectClose(ys, [2, 6, 12]);
    expectClose(acc.value, 12);
    const w = new State(f64(1.5), { name: "w" });
    const loss = (x: Tensor) => T(scan((h: Tensor) => [h.mul(w.value).add(x), h], f64(1), null, { length: 2 })[0]);
    // h2 = (w + x) w + x: d/dx = w + 1.
    expectClose(grad(loss)(f64(0.5)), 2.5);
  });

  it("forLoop maps over the leading axis and stacks the outputs; States written inside are carried", () => {
    const total = new State(np.array(0), { name: "total" });
    const out = forLoop((x: Tensor, y: { v: Tensor }) => {
      total.value = total.value.add(x);
      return [x.mul(y.v), y.v.sum()];
    }, np.array([1, 2, 3]), { v: np.array([[1, 1], [2, 0], [0, 5]]) });
    expectClose(out[0], [[1, 1], [4, 0], [0, 15]]);
    expectClose(out[1], [2, 2, 5]);
    expectClose(total.value, 6);
  });
});

describe("control-flow errors", () => {
  const id = (v: Tensor) => v;
  it("cond: predicate and branch mismatches", () => {
    expect(() => cond(np.array([true, false]), id, id, np.array(1))).to.throw(ShapeError, /predicate must be a scalar, got shape \[2\]/);
    expect(() => cond(np.array(1.5), id, id, np.array(1))).to.throw(DTypeError, /bool or int32 scalar, got float32/);
    expect(() => cond(true, (v: Tensor) => [v, v], id, np.array(1))).to.throw(ValueError, /trueFn's output is \[\*,\*\] but falseFn's is \*/);
    expect(() => cond(true, id, (v: Tensor) => v.reshape([1]), np.array(1))).to.throw(ShapeError, /shape \[\] in trueFn but \[1\] in falseFn/);
    expect(() => cond(true, id, (v: Tensor) => v.astype("int32"), np.array(1.5))).to.throw(DTypeError, /dtype float32 in trueFn but int32 in falseFn/);
    const s = new State(np.array([1, 2]), { name: "s" });
    expect(() => cond(true, () => { s.value = np.array([1, 2, 3]); return 0; }, () => 0)).to.throw(ShapeError, /State "s".*float32\[2\] to float32\[3\]/);
    expectClose(s.value, [1, 2]); // nothing was written
  });

  it("scan: carry changes, xs sizes, missing length, wrong return", () => {
    expect(() => scan((c: Tensor, x: Tensor) => [c.reshape([1, 3]), x], np.zeros([3]), np.ones([2]))).to.throw(ShapeError, /carry has shape \[3\] in init but \[1,3\] in fn's output/);
    expect(() => scan((c: Tensor, x: Tensor) => [c.astype("int32"), x], np.zeros([3]), np.ones([2]))).to.throw(DTypeError, /carry has dtype float32 in init but int32/);
    expect(() => scan((c: Tensor) => [[c], c], np.zeros([3]), np.ones([2]))).to.throw(ValueError, /init is \* but fn's carry is \[\*\]/);
    expect(() => scan((c: Tensor) => [c, c], 0, [np.ones([3, 2]), np.ones([4])])).to.throw(ShapeError, /leaf 0 has shape \[3,2\] but leaf 1 has shape \[4\]/);
    expect(() => scan((c: Tensor) => [c, c], 0, null)).to.throw(ValueError, /pass \{ length \}/);
    expect(() => scan((c: Tensor) => [c, c], 0, np.ones([3]), { length: 4 })).to.throw(ShapeError, /length 4 does not match the leading size 3/);
    expect(() => scan((c: Tensor) => [c, c], 0, np.array(1))).to.throw(ShapeError, /leaf 0 is a scalar/);
    expect(() => scan(((c: Tensor) => c) as never, 0, np.ones([2]))).to.throw(ValueError, /must return a pair \[carry, y\]/);
    expect(() => scan((c: Tensor) => [c, c], 0, null, { length: -1 })).to.throw(ValueError, /non-negative integer/);
    expect(() => forLoop((x: Tensor) => x)).to.throw(ValueError, /at least one operand/);
  });

  it("whileLoop: condFn must return a bool scalar and must not write States", () => {
    expect(() => whileLoop((v: Tensor) => v, id, np.array(1))).to.throw(DTypeError, /bool scalar, got float32\[\]/);
    expect(() => whileLoop((v: Tensor) => v.lt(np.array([1, 2])), id, np.array(1))).to.throw(ShapeError, /bool scalar, got bool\[2\]/);
    const s = new State(np.array(0), { name: "s" });
    expect(() => whileLoop((v: Tensor) => { s.value = v; return v.lt(3); }, id, np.array(1))).to.throw(StateError, /condFn must not write States/);
    expect(() => whileLoop((v: Tensor) => v.lt(3), (v: Tensor) => v.add(0.5), np.array(1).astype("int32"))).to.throw(DTypeError, /carry has dtype int32 in init but float32/);
  });

  it("value-dependent JS control flow on a traced body value names the alternatives", () => {
    expect(() => scan((c: Tensor, x: Tensor) => [x.itemSync() > 0 ? c : c.neg(), c], np.array(0), np.ones([2]))).to.throw(/cond, whileLoop or scan/);
  });
});

describe("control-flow derivation caching", () => {
  it("tracing the same scan again gives the same call, so grad reuses its derivation", () => {
    const f = (w: Tensor, xs: Tensor) => T(scan((h: Tensor, x: Tensor) => [np.tanh(h.mul(w).add(x)), h], f64(0), xs)[0]);
    // Realized data (literals would be inlined into the body as constants).
    const n1: Node = T(f(f64([1]).reshape([]), f64([1, 2]))).node, n2: Node = T(f(f64([2]).reshape([]), f64([3, 4]))).node;
    expect(controlCallOf(n1)).to.equal(controlCallOf(n2));
    const g = grad(f);
    g(f64(0.3), f64([5, 6]));
    const hits = transformStats.cacheHits;
    const v = g(f64(0.7), f64([1, 2]));
    expect(transformStats.cacheHits).to.equal(hits + 1);
    // d/dw of tanh(w tanh(x0) + x1) with h0 = 0: (1 - h2^2) * tanh(x0).
    const h1 = Math.tanh(1), h2 = Math.tanh(0.7 * h1 + 2);
    expectClose(v, (1 - h2 * h2) * h1, { rtol: 1e-10 });
  });
});
