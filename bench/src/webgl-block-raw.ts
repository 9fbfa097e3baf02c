/**
 * The gpujs tiled form's block pass as a raw WebGL2 shader in headless Chromium (SwiftShader), without
 * GPU.js or kiln's runtime around it: n×n · n×n, 8×4 blocks over eight render targets, inputs laid
 * out as GPU.js lays them (four values per texel, near-square textures, sizes declared as constants
 * of the source). Variants, interleaved (alternating order per round):
 * - `kiln`: the block function kiln renders for the product (gpujs-tiled.ts);
 * - `per-thread test`: the same without the width test before the direct loop (session 30's form:
 *   the per-thread check and the wrapped loop stay in the shader);
 * - `direct loop alone`: kiln's source without the wrapped loop (what the width test's fold should give);
 * - `fetches only` / `multiply-adds only`: kiln's direct loop with the multiply-adds replaced by one
 *   add per row, or the fetches by values made from the coordinates — where a draw's time goes.
 * Prints ms per draw (wall: draws then a one-texel `readPixels`) and the GPU process's CPU ms per draw
 * (user + system of Chromium's GPU process over the same draws, from /proc: under load the wall time
 * is the scheduler's, the CPU time the shader's), the median and the minimum of the rounds, and
 * whether each variant's outputs are bit-identical to `kiln`'s. Each variant runs as `--copies`
 * distinct programs (a never-true line each), pooled: one program of a page once ran 1.6x slower
 * than its copies for a whole run, and a single copy per variant reads that as the variant's cost.
 *   node --conditions=kiln-source --import tsx bench/src/webgl-block-raw.ts [--sizes 256,512] [--rounds 9] [--copies 2]
 * Linux only (/proc). Not a test: numbers depend on the machine and its load.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { np } from "@kiln/core";
import { scheduleGraph } from "../../packages/backend/src/schedule.js";
import { type GpujsKernelSource, renderGpujs } from "../../packages/backend/src/targets/gpujs/gpujs-render.js";
import { CHROMIUM, QUIET_FLAGS } from "../../test/browser/chromium.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "256,512" }, rounds: { type: "string", default: "9" }, copies: { type: "string", default: "2" } } });
const sizes = values.sizes.split(",").map(Number), rounds = Number(values.rounds), copies = Number(values.copies);
if (!Number.isInteger(copies) || copies < 1) throw new Error("webgl-block-raw: --copies must be a positive integer");
if (sizes.some((n) => !Number.isInteger(n) || n < 16 || n % 8 !== 0)) throw new Error("webgl-block-raw: --sizes must be multiples of 8, at least 16");
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("webgl-block-raw: --rounds must be a positive integer");

/** kiln's block function for n×n · n×n on WebGL2 with 8 draw buffers, its operands named b2 (A) and b4 (B). */
function kilnBlock(n: number): string {
  const t = () => np.array(new Float32Array(n * n), { shape: [n, n] });
  const product = np.matmul(t(), t()) as unknown as { node: never };
  const kernel = scheduleGraph([product.node], (m: { prim: string }) => m.prim === "data").plan.steps[0]!.kernel!;
  const src = renderGpujs(kernel, { tiled: true, blockRows: 8 }) as GpujsKernelSource;
  if (!/\(b2, b4\)/.test(src.partials?.source ?? "")) throw new Error(`webgl-block-raw: unexpected block kernel ${src.partials?.source}`);
  return src.partials!.natives![0]!.source;
}

/**
 * Each variant `copies` times, each copy with its own never-true line (distinct SPIR-V, so a routine
 * JIT-compiled of its own: one program of a page once ran 1.6x slower than its copies for the
 * whole run), copy c of variant v at index v · copies + c.
 */
function programs(n: number): { name: string; glsl: string }[] {
  return variants(n).flatMap((v, i) => Array.from({ length: copies }, (_, c) => ({
    name: v.name, glsl: v.glsl.replace(/\n  return c0;\n\}$/, `\n  if (t == ${-1 - i * copies - c}) c0.x = 1.0;\n  return c0;\n}`),
  })));
}

/** The variants' sources from kiln's: its direct loop (the branch the width test takes) rewritten. */
function variants(n: number): { name: string; glsl: string }[] {
  const kiln = kilnBlock(n);
  const widthTest = /  if \(\([^\n]*\) \|\| direct\) \{/;
  if (!widthTest.test(kiln)) throw new Error("webgl-block-raw: kiln's block source has no width test");
  const direct = kiln.slice(0, kiln.indexOf("  } else {"));
  const tail = kiln.slice(kiln.indexOf("\n  tile_c1 = c1;"));
  const directOnly = (body: string) => `${body}  }${tail}`;
  return [
    { name: "kiln", glsl: kiln },
    { name: "per-thread test", glsl: kiln.replace(widthTest, "  if (direct) {") },
    { name: "direct loop alone", glsl: directOnly(direct) },
    { name: "fetches only", glsl: directOnly(direct.replace(/c(\d) \+= y \* a\d;/g, (_m, r: string) => `c${r} += a${r} + y[${Number(r) % 4}];`)) },
    { name: "multiply-adds only", glsl: directOnly(direct.replace(/texture\(user_b(\d), vec2\(([^()]*)\)\)/g, (_m, b: string, c: string) => `vec4(${c}, float(${b}), 1.0)`)) },
  ];
}

/** CPU ms (user + system) so far of the GPU process of the browser whose profile directory is `dir`. */
function gpuProcessCpuMs(dir: string): number {
  let ms = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmd.includes("--type=gpu-process") || !cmd.includes(dir)) continue;
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    ms += (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in 100 Hz ticks
  }
  return ms;
}

interface PageApi {
  setup(n: number, sources: string[]): number;
  time(i: number): number;
  identical(i: number): boolean;
}

/** The page's side: textures, programs, timed draws (no bundling: passed as a function). */
function pageSetup(): void {
  const closest = (len: number) => {
    const s = Math.sqrt(len);
    let hi = Math.ceil(s), lo = Math.floor(s);
    while (hi * lo < len) { hi--; lo = Math.ceil(len / hi); }
    return [lo, Math.ceil(len / lo)] as const;
  };
  let state: { gl: WebGL2RenderingContext; programs: WebGLProgram[]; draws: number; results: Float32Array[][] } | null = null;
  const api: PageApi = {
    setup(n, sources) {
      const gl = document.createElement("canvas").getContext("webgl2");
      if (!gl || !gl.getExtension("EXT_color_buffer_float")) throw new Error("no WebGL2 with float render targets");
      const rows = 8, [aw, ah] = closest((n * n) / 4), [ow, oh] = closest((n / rows) * (n / 4));
      const texture = (w: number, h: number, data: Float32Array | null) => {
        const t = gl.createTexture();
        gl.bindTexture(gl.TEXTURE_2D, t);
        for (const [k, v] of [[gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE], [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE], [gl.TEXTURE_MIN_FILTER, gl.NEAREST], [gl.TEXTURE_MAG_FILTER, gl.NEAREST]] as const) gl.texParameteri(gl.TEXTURE_2D, k, v);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA32F, w, h, 0, gl.RGBA, gl.FLOAT, data);
        return t;
      };
      let seed = 1;
      const values = () => Float32Array.from({ length: aw * ah * 4 }, (_, i) => (i < n * n ? ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) - 0.5 : 0));
      const a = texture(aw, ah, values()), b = texture(aw, ah, values());
      const targets = Array.from({ length: rows }, () => texture(ow, oh, null));
      gl.bindFramebuffer(gl.FRAMEBUFFER, gl.createFramebuffer());
      targets.forEach((t, i) => gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + i, gl.TEXTURE_2D, t, 0));
      gl.drawBuffers(targets.map((_, i) => gl.COLOR_ATTACHMENT0 + i));
      gl.viewport(0, 0, ow, oh);
      gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
      gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
      gl.enableVertexAttribArray(0);
      gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, a);
      gl.activeTexture(gl.TEXTURE1);
      gl.bindTexture(gl.TEXTURE_2D, b);
      const shader = (type: number, src: string) => {
        const s = gl.createShader(type)!;
        gl.shaderSource(s, src);
        gl.compileShader(s);
        if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`${gl.getShaderInfoLog(s)}\n${src}`);
        return s;
      };
      // As GPU.js's WebGL2 kernels: texture sizes declared as initialized globals, threadId from the fragment's index.
      const programs = sources.map((glsl) => {
        const p = gl.createProgram()!;
        gl.attachShader(p, shader(gl.VERTEX_SHADER, "#version 300 es\nin vec2 p; void main() { gl_Position = vec4(p, 0.0, 1.0); }"));
        gl.attachShader(p, shader(gl.FRAGMENT_SHADER, [
          "#version 300 es", "precision highp float; precision highp int; precision highp sampler2D;",
          `uniform highp sampler2D user_b2; highp ivec2 user_b2Size = ivec2(${aw}, ${ah});`,
          `uniform highp sampler2D user_b4; highp ivec2 user_b4Size = ivec2(${aw}, ${ah});`,
          ...targets.map((_, i) => `layout(location = ${i}) out vec4 data${i};`), "ivec3 threadId;", glsl,
          `void main() { threadId = ivec3(int(gl_FragCoord.x) + int(gl_FragCoord.y) * ${ow}, 0, 0);`,
          "  data0 = tile_block();", ...targets.slice(1).map((_, i) => `  data${i + 1} = tile_row${i + 1}();`), "}",
        ].join("\n")));
        gl.bindAttribLocation(p, 0, "p");
        gl.linkProgram(p);
        if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(String(gl.getProgramInfoLog(p)));
        gl.useProgram(p);
        gl.uniform1i(gl.getUniformLocation(p, "user_b2"), 0);
        gl.uniform1i(gl.getUniformLocation(p, "user_b4"), 1);
        return p;
      });
      const readAll = () => targets.map((_, i) => {
        gl.readBuffer(gl.COLOR_ATTACHMENT0 + i);
        const d = new Float32Array(ow * oh * 4);
        gl.readPixels(0, 0, ow, oh, gl.RGBA, gl.FLOAT, d);
        return d.subarray(0, (n / rows) * n);
      });
      const results = programs.map((p) => (gl.useProgram(p), gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4), readAll()));
      // Draws per timed sample: ~100 ms of work on this machine, at least one.
      state = { gl, programs, draws: Math.max(1, Math.round(2 ** 24 / n ** 3 * 40)), results };
      return state.draws;
    },
    time(i) {
      const { gl, programs, draws } = state!;
      const px = new Float32Array(4);
      gl.useProgram(programs[i]!);
      gl.readBuffer(gl.COLOR_ATTACHMENT0);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, px);
      const t0 = performance.now();
      for (let d = 0; d < draws; d++) gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, px);
      return (performance.now() - t0) / draws;
    },
    identical(i) {
      const { results } = state!;
      return results[i]!.every((t, r) => t.every((v, e) => Object.is(v, results[0]![r]![e])));
    },
  };
  (window as unknown as { rawBlock: PageApi }).rawBlock = api;
}

const range = (k: number) => Array.from({ length: k }, (_, i) => i);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
const dir = mkdtempSync(join(tmpdir(), "kiln-raw-block-"));
const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: [...QUIET_FLAGS] });
try {
  const page = await ctx.newPage();
  // tsx's esbuild names functions through a `__name` helper the page does not have.
  await page.addInitScript("window.__name = (f) => f;");
  await page.goto("data:text/html,<title>raw block shaders</title>");
  await page.evaluate(pageSetup);
  console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${rounds} rounds; ms per draw, median (min)`);
  for (const n of sizes) {
    const ps = programs(n);
    if (!ps[0]!.glsl.includes("if (t == -1)")) throw new Error("webgl-block-raw: kiln's block function does not end in `return c0;`");
    const draws = await page.evaluate(([n, s]) => (window as unknown as { rawBlock: PageApi }).rawBlock.setup(n, s), [n, ps.map((v) => v.glsl)] as const);
    const wall: number[][] = ps.map(() => []), cpu: number[][] = ps.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (const i of r % 2 ? [...ps.keys()].reverse() : [...ps.keys()]) {
        const c0 = gpuProcessCpuMs(dir);
        wall[i]!.push(await page.evaluate((i) => (window as unknown as { rawBlock: PageApi }).rawBlock.time(i), i));
        cpu[i]!.push((gpuProcessCpuMs(dir) - c0) / draws);
      }
    }
    const fmt = (xs: number[]) => `${median(xs).toFixed(2).padStart(8)} (${Math.min(...xs).toFixed(2)})`;
    for (let v = 0; v * copies < ps.length; v++) {
      const mine = range(copies).map((c) => v * copies + c);
      const same = v === 0 || v >= 3 ? "" : (await Promise.all(mine.map((i) => page.evaluate((i) => (window as unknown as { rawBlock: PageApi }).rawBlock.identical(i), i)))).every(Boolean) ? "  bit-identical" : "  differs";
      const perCopy = copies > 1 ? `  copies' CPU medians ${mine.map((i) => median(cpu[i]!).toFixed(2)).join(" ")}` : "";
      console.log(`  n=${n} ${ps[v * copies]!.name.padEnd(20)} wall ${fmt(mine.flatMap((i) => wall[i]!))}  GPU-process CPU ${fmt(mine.flatMap((i) => cpu[i]!))}${same}${perCopy}`);
    }
  }
  console.log(`load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
} finally {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
}
