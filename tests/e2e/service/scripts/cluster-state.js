// SPDX-License-Identifier: GPL-3.0-or-later
// Reads what the stand-in kubectl recorded for a Deployment in the run's cluster.
'use strict';

const fs = require('fs');
const path = require('path');

function revisions (service) {
  const state = process.env.DYNAMO_E2E_STATE;
  const cluster = process.env.DYNAMO_CLUSTER;
  const namespace = process.env.DYNAMO_NAMESPACE || 'default';
  const file = path.join(state, 'clusters', cluster, namespace, `${service}.revisions`);

  if (!fs.existsSync(file))
    return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
}

function failing (name) {
  return fs.existsSync(path.join(process.env.DYNAMO_E2E_STATE, name));
}

function option (name) {
  const prefix = `--${name}=`;
  const argument = process.argv.find((value) => value.startsWith(prefix));

  return argument ? argument.slice(prefix.length) : null;
}

module.exports = { revisions, failing, option };
