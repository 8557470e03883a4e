// SPDX-License-Identifier: GPL-3.0-or-later
// The stand-in service's test suite: passes unless $DYNAMO_E2E_STATE/fail-tests exists.
'use strict';

const fs = require('fs');
const path = require('path');

const state = process.env.DYNAMO_E2E_STATE;
if (state && fs.existsSync(path.join(state, 'fail-tests'))) {
  console.error('1 of 12 tests failed: routes resolve');
  process.exit(1);
}
console.log('12 tests passed');
