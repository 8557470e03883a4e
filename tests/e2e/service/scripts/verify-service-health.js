// SPDX-License-Identifier: GPL-3.0-or-later
// Checks the stand-in service's health after a rollback: its Deployment runs some version.
'use strict';

const { revisions, failing, option } = require('./cluster-state');

const service = option('service');
const history = revisions(service);

if (failing('fail-health') || history.length === 0) {
  console.error(`${service} is not healthy: no replica answers`);
  process.exit(1);
}
console.log(`\x1b[32mhealthy\x1b[0m ${service} runs ${history[history.length - 1]}`);
