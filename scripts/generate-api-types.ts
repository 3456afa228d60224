// npm run generate:api-types: writes the wire types generated from the server's OpenAPI document into the SDK and
// the dashboard (see scripts/api-types.ts). Run it after changing a schema in apps/server/src/schemas.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { GENERATED_FILES, generateApiTypes } from './api-types.js';

const text = await generateApiTypes();
for (const file of GENERATED_FILES) {
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`${current === text ? 'unchanged' : 'wrote'} ${relative(process.cwd(), file)}`);
}
