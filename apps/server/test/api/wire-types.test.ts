// The SDK's and the dashboard's wire types are generated from the server's OpenAPI document: the committed copies
// must be exactly what the generator makes from today's schemas, or a schema changed without its consumers seeing it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { GENERATED_FILES, generateApiTypes } from '../../../../scripts/api-types.js';

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

describe('generated wire types', () => {
  it('the committed generated files match the OpenAPI document', async () => {
    const expected = await generateApiTypes();
    const stale = GENERATED_FILES.filter((file) => read(file) !== expected).map((file) =>
      relative(process.cwd(), file),
    );
    assert.deepEqual(
      stale,
      [],
      `out of date with the server's OpenAPI document: ${stale.join(', ')}. ` +
        'Run `npm run generate:api-types` and commit the result.',
    );
  });
});
