// The shape of the code the next engineer relies on: routes hold no SQL and no casts of request input, and no
// module imports one that imports it back (checked over the server, the SDK, the dashboard and the scripts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const SERVER_SRC = join(ROOT, 'apps', 'server', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const SQL = /\b(SELECT\s[\s\S]*?\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|\.query\s*[<(]/i;

describe('architecture', () => {
  it('routes hold no SQL: they parse, call a service and send its answer', () => {
    const offenders = sourceFiles(join(SERVER_SRC, 'routes')).filter((f) =>
      SQL.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });

  it('no request input is cast to its schema type: the type provider types it', () => {
    const requestCode = [
      ...sourceFiles(join(SERVER_SRC, 'routes')),
      ...sourceFiles(join(SERVER_SRC, 'http')),
    ];
    const offenders = requestCode.filter((f) =>
      /as Static</.test(readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '')),
    );
    assert.deepEqual(offenders, []);
  });

  it('no import cycles, type-only imports included', async () => {
    // madge ships no types; its API is `madge(paths, config)` → a result with circular().
    const madge = createRequire(import.meta.url)('madge') as (
      paths: string[],
      config: Record<string, unknown>,
    ) => Promise<{ circular(): string[][] }>;
    const result = await madge(
      [
        SERVER_SRC,
        join(ROOT, 'packages', 'sdk', 'src'),
        join(ROOT, 'apps', 'dashboard', 'src'),
        join(ROOT, 'scripts'),
      ],
      { fileExtensions: ['ts', 'tsx'], tsConfig: join(ROOT, 'tsconfig.json') },
    );
    assert.deepEqual(result.circular(), []);
  });
});
