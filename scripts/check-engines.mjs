#!/usr/bin/env node
// Fails when a package in package-lock.json needs a newer Node than the project's `engines` promises (the oldest
// Node it allows): such a package warns on every `npm install` and may break on the machines we support. Fix by
// pinning an older version or replacing the package, never by ignoring the warning.
import { readFileSync } from 'node:fs';
import semver from 'semver';

const lockPath = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const promised = lock.packages['']?.engines?.node;
if (!promised) {
  console.error(`check-engines: the root package of ${lockPath} declares no engines.node`);
  process.exit(1);
}
const oldest = semver.minVersion(promised)?.version;
const misfits = Object.entries(lock.packages)
  .filter(([path, pkg]) => path !== '' && typeof pkg.engines?.node === 'string')
  .filter(([, pkg]) => !semver.satisfies(oldest, pkg.engines.node))
  .map(
    ([path, pkg]) =>
      `  ${path.replace(/^.*node_modules\//, '')}@${pkg.version ?? '?'} needs node ${pkg.engines.node}`,
  );
if (misfits.length > 0) {
  console.error(`check-engines: engines.node is "${promised}", but these need a newer Node than ${oldest}:`);
  console.error(misfits.join('\n'));
  process.exit(1);
}
console.log(`check-engines: every locked package runs on Node ${oldest} ("${promised}")`);
