/**
 * Mocha reporter: the normal Spec output, plus, when IDZONE_TEST_SUMMARY names a file, a JSON
 * summary `{passes, failures, pending}` written there at the end of the run, so that .ci/run can
 * print a result line computed from mocha's own counts rather than from parsing text.
 */
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const target = process.env.IDZONE_TEST_SUMMARY;
    if (!target) return;
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats ?? this.stats;
      fs.writeFileSync(target, JSON.stringify({ passes, failures, pending }) + '\n');
    });
  }
}

module.exports = SummaryReporter;
