// SPDX-License-Identifier: GPL-3.0-or-later
// Builds the stand-in service: prints what a real build prints (colours, a carriage-return
// progress line) and writes dist/build.json. Fails when $DYNAMO_E2E_STATE/fail-build exists.
'use strict';

const fs = require('fs');
const path = require('path');

const environment = process.argv[2] || 'default';
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const state = process.env.DYNAMO_E2E_STATE;

console.log(`\x1b[1m> ${pkg.name}@${pkg.version} build:${environment}\x1b[0m`);
for (let percent = 0; percent <= 100; percent += 25)
  process.stdout.write(`\rbundling ${percent}%`);
process.stdout.write('\n');

if (state && fs.existsSync(path.join(state, 'fail-build'))) {
  console.error('\x1b[31mERROR\x1b[0m Module not found: ./routes');
  process.exit(1);
}

fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync(path.join('dist', 'build.json'),
                 JSON.stringify({ service: pkg.name, version: pkg.version, environment }));
console.log(`\x1b[32mbuilt\x1b[0m dist/build.json for ${environment}`);
