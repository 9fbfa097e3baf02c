import { expect } from "chai";
import { ValueError } from "./index.js";
import { environ } from "./index.js";

describe("environ", () => {
  afterEach(() => environ.reset());

  it("fit defaults to true; context overrides it for the call and returns fn's result", () => {
    expect(environ.get("fit")).to.equal(true);
    const r = environ.context({ fit: false }, () => [environ.get("fit"), 42]);
    expect(r).to.deep.equal([false, 42]);
    expect(environ.get("fit")).to.equal(true);
  });

  it("contexts nest; inner settings shadow outer ones only for their keys", () => {
    const seen: unknown[] = [];
    environ.context({ fit: false, dt: 0.1 }, () => {
      seen.push(environ.get("fit"), environ.get("dt"));
      environ.context({ fit: true }, () => seen.push(environ.get("fit"), environ.get("dt")));
      seen.push(environ.get("fit"));
    });
    expect(seen).to.deep.equal([false, 0.1, true, 0.1, false]);
    expect(() => environ.get("dt")).to.throw(ValueError, /"dt" is not set/);
  });

  it("restores the settings when fn throws", () => {
    expect(() =>
      environ.context({ fit: false }, () =>
        environ.context({ fit: true, mode: "x" }, () => {
          throw new Error("boom");
        }),
      ),
    ).to.throw("boom");
    expect(environ.get("fit")).to.equal(true);
    expect(environ.get("mode", "default")).to.equal("default");
    expect(environ.all()).to.deep.equal({ fit: true });
  });

  it("set changes globals, which contexts still override; reset restores the defaults", () => {
    environ.set({ fit: false, precision: 32 });
    expect(environ.get("fit")).to.equal(false);
    expect(environ.context({ fit: true }, () => environ.all())).to.deep.equal({ fit: true, precision: 32 });
    environ.reset();
    expect(environ.all()).to.deep.equal({ fit: true });
  });

  it("rejects bad settings with a ValueError", () => {
    expect(() => environ.set({ fit: "no" as never })).to.throw(ValueError, /"fit" must be a boolean, got no/);
    expect(() => environ.context(null as never, () => 0)).to.throw(ValueError, /expected a settings object/);
    expect(() => environ.context({ fit: false }, 3 as never)).to.throw(ValueError, /expected a function/);
    expect(environ.get("fit")).to.equal(true);
  });

  it("dt: getDt reads it, says how to set it when unset, and set/context reject a non-positive or non-finite dt", () => {
    expect(() => environ.getDt()).to.throw(ValueError, /"dt" is not set; set it with environ\.set\(\{ dt: 0\.1 \}\)/);
    expect(environ.context({ dt: 0.25 }, () => environ.getDt())).to.equal(0.25);
    environ.set({ dt: 0.5 });
    expect(environ.getDt()).to.equal(0.5);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "0.1", null]) {
      expect(() => environ.set({ dt: bad as number }), String(bad)).to.throw(ValueError, /"dt" is the integration time step and must be a positive finite number/);
      expect(() => environ.context({ dt: bad as number }, () => 0), String(bad)).to.throw(ValueError, /positive finite number/);
    }
    expect(environ.getDt()).to.equal(0.5);
  });
});
