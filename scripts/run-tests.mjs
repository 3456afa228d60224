#!/usr/bin/env node
// Runs every *.test.ts of the workspaces with Node's own test runner (through tsx).
// Usage: npm test [-- <substring filter of file paths>]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = [
  'apps/server/test',
  'apps/dashboard/test',
  'packages/sdk/test',
  'packages/sdk-python/test',
  'packages/cli/test',
  'bench/test',
];
const filters = process.argv.slice(2);

function collect(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = roots
  .flatMap(collect)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    // A hung test fails after this long instead of stalling CI until its 90-minute limit.
    `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? '300000'}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', SPENDGUARD_CHECK_RESPONSES: '1' } },
);
process.exit(result.status ?? 1);
