/** The gradient-check harness (gradcheck.test-util.ts) passes a correct rule and catches wrong ones. */
import { expect } from "chai";
import { type Tensor, np, stopGradient } from "@kiln/core";
import { type GradCase, args, checkGradients, uniform } from "./gradcheck.test-util.js";
import { JVP_RULES } from "./jvp.js";
import { VJP_RULES } from "./vjp.js";

describe("gradient-check harness", () => {
  // Clear of 0, where a wrong slope of 1 would be within tolerance of cos(x).
  const sinCase: GradCase = { shapes: [[3]], args: args(uniform(3, 0.5, 3)), f: (x) => np.sin(x), runs: 5 };

  it("passes a correct rule", () => {
    checkGradients(sinCase);
  });

  it("catches a wrong jvp rule", () => {
    const saved = JVP_RULES.sin;
    (JVP_RULES as Record<string, unknown>).sin = (_p: Tensor[], [t]: Tensor[]) => t; // claims d sin = 1
    try {
      expect(() => checkGradients(sinCase)).to.throw(/jvp vs finite differences/);
    } finally {
      (JVP_RULES as Record<string, unknown>).sin = saved;
    }
  });

  it("catches a wrong vjp rule", () => {
    const saved = VJP_RULES.sin;
    (VJP_RULES as Record<string, unknown>).sin = (ct: Tensor, [x]: Tensor[]) => [np.multiply(ct, np.sin(x!))];
    try {
      expect(() => checkGradients(sinCase)).to.throw(/vjp of argument 0 vs finite differences/);
    } finally {
      (VJP_RULES as Record<string, unknown>).sin = saved;
    }
  });

  it("catches a second-order error (right values, but the vjp graph hides its dependence on x)", () => {
    const saved = VJP_RULES.sin;
    (VJP_RULES as Record<string, unknown>).sin = (ct: Tensor, [x]: Tensor[]) => [np.multiply(ct, stopGradient(np.cos(x!)))];
    try {
      expect(() => checkGradients(sinCase)).to.throw(/jvp of the vjp of argument 0/);
    } finally {
      (VJP_RULES as Record<string, unknown>).sin = saved;
    }
  });
});
