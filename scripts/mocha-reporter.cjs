// mocha's spec reporter plus the one closing line CI reads: "N passed, N failed". When
// VIAGUARD_TEST_COUNTS names a file, the counts go there as JSON instead of that line, so that a
// runner of several suites (.ci/run) can print one line for all of them.
const fs = require('node:fs');
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => passed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, () => failed++);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const countsFile = process.env.VIAGUARD_TEST_COUNTS;
      if (countsFile) fs.writeFileSync(countsFile, JSON.stringify({ passed, failed }) + '\n');
      else process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
    });
  }
}

module.exports = SpecWithSummary;
