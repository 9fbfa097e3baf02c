/**
 * Every ```ts block of README.md runs as written (issue 12: the quick start used `w`, `xs`, `ys`
 * without defining them). Each block is a module of its own, run in a fresh process from the repo
 * root, as a reader pasting it into a file would.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The ```ts fenced blocks of a markdown text, in order. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

function runBlock(source: string): string {
  // Types are stripped (as tsx does for a file) so the block runs as one ES module from the root,
  // where "kiln" resolves to the workspace.
  const { code } = transformSync(source, { loader: "ts", format: "esm", target: "es2022" });
  return execFileSync(process.execPath, ["--conditions=kiln-source", "--import", "tsx", "--input-type=module", "--eval", code], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("README code blocks", function () {
  this.timeout(150_000);
  const blocks = tsBlocks(readFileSync(new URL("../README.md", import.meta.url), "utf8"));

  it("finds the quick start and the training step", () => {
    expect(blocks).to.have.length(2);
    expect(tsBlocks("text\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n")).to.deep.equal(["const a = 1;\n"]);
  });

  it("the quick start runs and prints what its comments say", () => {
    const lines = runBlock(blocks[0]!).trim().split("\n");
    expect(Number(lines[0])).to.be.closeTo([1, 2, 3].reduce((s, v) => s + Math.tanh(v * 1.5 + 0.5), 0), 1e-5);
    expect(lines.slice(1).join("").replace(/\s/g, "")).to.equal("[2,4,6][[3,6,9],[28,35,42]]");
  });

  it("the training step runs, and its loss stream shows the loss falling", () => {
    const losses = runBlock(blocks[1]!).trim().split("\n").map(Number);
    expect(losses).to.have.length(401); // the initial value, then one commit per step
    expect(losses.at(-1)).to.be.below(losses[1]! / 10);
  });
});
