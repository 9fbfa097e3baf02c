// Mocha's dot reporter plus one plain closing line, "N passed, N failed, N skipped", which CI
// systems that do not know mocha's own summary can read.
"use strict";
const Mocha = require("mocha");
const { Dot } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class DotWithTotals extends Dot {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      process.stdout.write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}
module.exports = DotWithTotals;
