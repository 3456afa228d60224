// The wire types of the SDK and the dashboard, generated from the server's OpenAPI document (the TypeBox schemas of
// apps/server/src/schemas). `npm run generate:api-types` writes them; apps/server/test/api/wire-types.test.ts fails
// when the committed copies differ from what this produces.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { buildApp } from '../apps/server/src/app.js';
import { parseConfig } from '../apps/server/src/config.js';
import { migrate } from '../apps/server/src/db/migrate.js';
import { createPgliteDb } from '../apps/server/src/db/pglite.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the generated file is written: one copy per package, so each stays self-contained (the SDK is published). */
export const GENERATED_FILES = [
  join(ROOT, 'packages', 'sdk', 'src', 'generated', 'openapi.ts'),
  join(ROOT, 'apps', 'dashboard', 'src', 'lib', 'generated', 'openapi.ts'),
] as const;

export const HEADER =
  "// Generated from the server's OpenAPI document by `npm run generate:api-types`; do not edit.\n" +
  '// Source: the TypeBox schemas of apps/server/src/schemas (served at GET /openapi.json).\n\n';

/**
 * The server's OpenAPI document, from the app built in-process: no port, embedded in-memory PGlite, no Redis, and a
 * fixed configuration (not the caller's environment) so the document is the same on every machine.
 */
export async function openApiDocument(): Promise<OpenAPI3> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-api-types-'));
  const db = await createPgliteDb({ dataDir: undefined });
  try {
    await migrate(db);
    const config = parseConfig({
      SPENDGUARD_DATA_DIR: dataDir,
      // Signs no cookie here; it only has to be valid.
      SPENDGUARD_SESSION_SECRET: randomBytes(32).toString('hex'),
      SPENDGUARD_LOG_LEVEL: 'silent',
    });
    const app = await buildApp({
      config,
      db,
      redis: undefined,
      dashboardDistDir: join(dataDir, 'no-dashboard'),
    });
    try {
      // A deep copy: openapi-typescript must not see (or change) the objects Fastify keeps.
      return JSON.parse(JSON.stringify(app.swagger())) as OpenAPI3;
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Formats TypeScript source with the repository's Biome (biome.json: two spaces, single quotes…), so the generated
 * files pass `biome check` like every other file.
 */
function biomeFormat(source: string, path: string): string {
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  const result = spawnSync(process.execPath, [biome, 'format', `--stdin-file-path=${path}`], {
    cwd: ROOT,
    input: source,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr || result.error}`);
  return result.stdout;
}

/** The text of the generated file: the header, then openapi-typescript's `paths`, `components`, `operations`. */
export async function generateApiTypes(): Promise<string> {
  const document = await openApiDocument();
  const ast = await openapiTS(document, { silent: true, alphabetize: false });
  const text = `${HEADER}${astToString(ast)}`;
  // Formatted as if it were the SDK's copy; both copies get the same bytes (the same biome.json applies to both).
  return biomeFormat(text, 'packages/sdk/src/generated/openapi.ts');
}
