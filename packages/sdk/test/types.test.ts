// Compiles a strict consumer project against the built declarations: proves the published
// types resolve as `@spendguard/sdk`, need no DOM/Node typings, and reject a wrong call
// (the consumer's `@ts-expect-error` lines fail the build if those calls ever compile).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('npx', args, { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

it('the consumer project type-checks against the built package', { timeout: 120_000 }, () => {
  // Build first so the test checks the current sources, not a stale dist/.
  const build = run(['tsc', '-p', 'packages/sdk/tsconfig.json']);
  assert.equal(build.status, 0, build.output);
  const check = run(['tsc', '-p', 'packages/sdk/test/consumer/tsconfig.json', '--noEmit']);
  assert.equal(check.status, 0, check.output);
});
