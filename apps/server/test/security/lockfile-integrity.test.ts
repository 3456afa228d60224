// The lockfile check of the security gate must catch what lockfile-lint lets through: a package with no integrity
// hash, a weak hash, a git/URL dependency, a tarball from another host.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkLockfileIntegrity } from '../../../../scripts/security/lockfile-integrity.mjs';

const ROOT_LOCK = join(import.meta.dirname, '..', '..', '..', '..', 'package-lock.json');

type Lock = { packages: Record<string, Record<string, unknown>> };

function variant(change: (lock: Lock) => void): string {
  const lock = JSON.parse(readFileSync(ROOT_LOCK, 'utf8')) as Lock;
  change(lock);
  const path = join(mkdtempSync(join(tmpdir(), 'sg-lock-')), 'package-lock.json');
  writeFileSync(path, JSON.stringify(lock));
  return path;
}

describe('lockfile integrity check', () => {
  it('passes the repository lockfile: every package pinned by sha512', () => {
    const result = checkLockfileIntegrity(ROOT_LOCK);
    assert.deepEqual(result.problems, []);
    assert.ok(result.packages > 100);
  });

  it('flags a missing integrity, a sha1 hash, a non-registry version and a foreign tarball host', () => {
    const cases: Array<[string, (entry: Record<string, unknown>) => void, RegExp]> = [
      ['missing integrity', (e) => delete e.integrity, /no sha512 integrity/],
      [
        'sha1',
        (e) => Object.assign(e, { integrity: 'sha1-abcdefabcdefabcdefabcdefabc=' }),
        /no sha512 integrity/,
      ],
      [
        'git dependency',
        (e) => Object.assign(e, { version: 'git+ssh://git@example.com/x.git#abc' }),
        /not a registry/,
      ],
      [
        'foreign host',
        (e) => Object.assign(e, { resolved: 'https://evil.example.com/pg/-/pg-8.0.0.tgz' }),
        /not https:\/\/registry\.npmjs\.org/,
      ],
      [
        'plain http',
        (e) => Object.assign(e, { resolved: 'http://registry.npmjs.org/pg/-/pg-8.0.0.tgz' }),
        /not https/,
      ],
    ];
    for (const [name, change, expected] of cases) {
      const path = variant((lock) => change(lock.packages['node_modules/pg'] as Record<string, unknown>));
      const { problems } = checkLockfileIntegrity(path);
      assert.equal(problems.length, 1, `${name}: ${JSON.stringify(problems)}`);
      assert.match(problems[0] ?? '', expected, name);
      assert.match(problems[0] ?? '', /node_modules\/pg/);
    }
  });
});
