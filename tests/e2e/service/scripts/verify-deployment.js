// SPDX-License-Identifier: GPL-3.0-or-later
// Verifies a deployment of the stand-in service: the environment's Deployment runs
// $DYNAMO_VERSION, or, before that version is deployed there, its image exists.
'use strict';

const fs = require('fs');
const path = require('path');
const { revisions, failing, option } = require('./cluster-state');

const environment = option('env');
const service = option('service');
const version = process.env.DYNAMO_VERSION;

if (!environment || !service) {
  console.error('usage: verify-deployment.js --env=ENVIRONMENT --service=SERVICE');
  process.exit(2);
}
if (failing('fail-verify')) {
  console.error(`\x1b[31mFAIL\x1b[0m ${service} in ${environment}: health check returned 503`);
  process.exit(1);
}

const history = revisions(service);
const running = history.length > 0 ? history[history.length - 1] : null;
if (running === version) {
  console.log(`\x1b[32mOK\x1b[0m ${service} ${running} answers in ${environment}`);
  process.exit(0);
}

// Before a deploy, the environment runs an older version or none: the image must be ready.
const images = path.join(process.env.DYNAMO_E2E_STATE, 'images');
const tag = `dynamo/${service}:${version}`;
if (!fs.existsSync(images) || !fs.readFileSync(images, 'utf8').split('\n').includes(tag)) {
  console.error(`image ${tag} was never built, and ${environment} runs ${running || 'nothing'}`);
  process.exit(1);
}
console.log(`\x1b[32mOK\x1b[0m ${tag} is ready for ${environment}, which runs ${running || 'nothing'}`);
