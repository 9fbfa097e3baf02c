/**
 * Dawn (`webgpu`) is an optional peer dependency loaded lazily in Node: loading it changes neither
 * `process.env` nor globalThis (the GPU* constants are held by the backend, EGL_PLATFORM is set
 * only while Mesa's adapter is discovered, and only when unset), and without it the webgpu
 * backend is unavailable with an error naming the package and the install command. Each case runs
 * in a fresh Node process, without EGL_PLATFORM and XDG_RUNTIME_DIR in its environment.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

interface Report {
  webgpu: { available: boolean; reason?: string };
  envAdded: string[];
  envRemoved: string[];
  globalsAdded: string[];
}

function loadBackend(extraNodeOptions: string[] = []): Report {
  const env = { ...process.env };
  delete env.EGL_PLATFORM;
  delete env.XDG_RUNTIME_DIR;
  const out = execFileSync(process.execPath, ["--conditions=kiln-source", "--import", "tsx", ...extraNodeOptions, fixture("load-backend.ts")], {
    env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000,
  });
  const line = out.split("\n").find((l) => l.startsWith("REPORT "));
  if (!line) throw new Error(`no report from the fixture: ${out}`);
  return JSON.parse(line.slice("REPORT ".length)) as Report;
}

describe("webgpu: Dawn is an optional dependency", function () {
  this.timeout(90_000);

  it("init() finds the adapter without touching process.env or adding globals", function () {
    const r = loadBackend();
    if (!r.webgpu.available && process.env.CI !== "true") this.skip();
    expect(r.webgpu.available, r.webgpu.reason).to.equal(true);
    expect(r.envAdded).to.deep.equal([]);
    expect(r.envRemoved).to.deep.equal([]);
    expect(r.globalsAdded.filter((k) => k.startsWith("GPU"))).to.deep.equal([]);
    expect(r.globalsAdded).to.deep.equal([]);
  });

  it("without the package, webgpu is unavailable and the reason names the package and how to install it", () => {
    const r = loadBackend(["--import", fixture("no-dawn.mjs")]);
    expect(r.webgpu.available).to.equal(false);
    expect(r.webgpu.reason).to.contain(`optional peer dependency "webgpu"`).and.to.contain("npm install webgpu");
    expect(r.envAdded).to.deep.equal([]);
  });
});
