#!/usr/bin/env node
// Builds the published package: src/version.ts from package.json, then `tsc` twice into a clean dist/ —
// dist/esm (ES modules, .js + .d.ts, "type": "module" from the package) and dist/cjs (CommonJS, .js + .d.ts,
// with a nested package.json saying "type": "commonjs" so Node and TypeScript read those files as CommonJS).
// Run by `npm run build` and by `npm pack` / `npm publish` (prepack); never on a consumer's install.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => `${root}${path}`;

const { version } = JSON.parse(readFileSync(at('package.json'), 'utf8'));
const versionSource = `// Generated from package.json by scripts/build.mjs (run by \`npm run build\` / \`npm pack\`); do not edit.
// test/package.test.ts fails if it disagrees with package.json.
export const VERSION = '${version}';
`;
if (readFileSync(at('src/version.ts'), 'utf8') !== versionSource)
  writeFileSync(at('src/version.ts'), versionSource);

rmSync(at('dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
for (const project of ['tsconfig.json', 'tsconfig.cjs.json']) {
  const result = spawnSync(process.execPath, [tsc, '-p', at(project)], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
mkdirSync(at('dist/cjs'), { recursive: true });
writeFileSync(at('dist/cjs/package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
writeFileSync(at('dist/esm/package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
