// The published package, tried as a new user would: `npm pack` (which builds through `prepack`), the tarball
// installed offline into a fresh project outside the repository, then used from ESM (`node x.mjs`), from CommonJS
// (`node x.cjs`, with require-of-ESM switched off where Node has the flag, so it cannot hide a missing CommonJS
// build) and from TypeScript (`tsc`, module nodenext, an .mts and a .cts consumer, and every ```ts block of the
// README). Also checks what the tarball holds and that the committed src/version.ts matches package.json.
import assert from 'node:assert/strict';
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../src/index.js';

const sdkDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(sdkDir, '..', '..');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const manifest = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  scripts?: Record<string, string>;
  exports: Record<string, unknown>;
  main: string;
  types: string;
  dependencies?: Record<string, string>;
};

// The child npm/node must not inherit the npm_* settings of the `npm test` that runs this file.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: cleanEnv, timeout: 120_000, ...options });
  const output = `$ ${command} ${args.join(' ')}\n${result.stdout}${result.stderr}${result.error ?? ''}`;
  return { status: result.status, stdout: String(result.stdout), output };
}

function ok(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = run(command, args, options);
  assert.equal(result.status, 0, result.output);
  return result.stdout;
}

/** Node's switch that turns require(esm) off (Node ≥ 20.19 / 22.12 turn it on by default), where it exists. */
const noRequireEsm = run(process.execPath, ['--no-experimental-require-module', '-e', '0']).status === 0;

let temp = '';
let project = '';
let files: string[] = [];

describe('the packed @spendguard/sdk', { timeout: 300_000 }, () => {
  before(() => {
    temp = mkdtempSync(join(tmpdir(), 'spendguard-sdk-pack-'));
    const packed = JSON.parse(ok('npm', ['pack', '--json', '--pack-destination', temp], { cwd: sdkDir })) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(temp, packed[0]?.filename ?? '');
    files = (packed[0]?.files ?? []).map((file) => file.path).sort();

    project = join(temp, 'consumer');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      '{ "name": "consumer", "version": "1.0.0", "private": true }\n',
    );
    ok('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund'], { cwd: project });
  });

  after(() => {
    if (temp !== '') rmSync(temp, { recursive: true, force: true });
  });

  it('holds LICENSE, README, package.json and both builds with their types, and nothing else', () => {
    for (const needed of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/esm/index.js',
      'dist/esm/index.d.ts',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/cjs/package.json',
    ]) {
      assert.ok(files.includes(needed), `${needed} missing from the tarball: ${files.join(', ')}`);
    }
    const unexpected = files.filter(
      (path) =>
        !['LICENSE', 'README.md', 'package.json'].includes(path) &&
        !/^dist\/(esm|cjs)\/.+\.(js|d\.ts)$/.test(path) &&
        !/^dist\/(esm|cjs)\/package\.json$/.test(path),
    );
    assert.deepEqual(unexpected, [], 'no sources, tests, source maps or configs in the tarball');
    // Each build is complete: every .js has its declarations, and both builds hold the same modules.
    const modules = (build: string) =>
      files.filter((path) => path.startsWith(`dist/${build}/`) && path.endsWith('.js'));
    for (const js of [...modules('esm'), ...modules('cjs')]) {
      assert.ok(files.includes(js.replace(/\.js$/, '.d.ts')), `${js} has no .d.ts`);
    }
    const strip = (path: string) => path.replace(/^dist\/(esm|cjs)\//, '');
    assert.deepEqual(modules('esm').map(strip), modules('cjs').map(strip));
    // Every path the manifest points at is in the tarball.
    const targets = JSON.stringify(manifest.exports).match(/\.\/[^"]+/g) ?? [];
    for (const target of [...targets, manifest.main, manifest.types]) {
      assert.ok(
        files.includes(target.replace(/^\.\//, '')),
        `${target} is named by package.json but not packed`,
      );
    }
  });

  it('ships the repository LICENSE and a README without links to files it does not ship', () => {
    const installed = join(project, 'node_modules', '@spendguard', 'sdk');
    assert.equal(
      readFileSync(join(installed, 'LICENSE'), 'utf8'),
      readFileSync(join(repoRoot, 'LICENSE'), 'utf8'),
    );
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
    assert.deepEqual(
      links.filter((link) => !/^(https:\/\/|#)/.test(link)),
      [],
      'README links must be public URLs or anchors',
    );
  });

  it('is public, has no runtime dependencies and runs nothing on install', () => {
    const installed = JSON.parse(
      readFileSync(join(project, 'node_modules', '@spendguard', 'sdk', 'package.json'), 'utf8'),
    ) as typeof manifest & { publishConfig?: { access?: string } };
    assert.equal(installed.publishConfig?.access, 'public');
    assert.deepEqual(installed.dependencies ?? {}, {});
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
      assert.equal(installed.scripts?.[hook], undefined, `a "${hook}" script would run on every install`);
    }
  });

  it('imports from ESM', () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `import { errorFromResponse, Spendguard, ValidationError, VERSION } from '@spendguard/sdk';
const sg = new Spendguard({ apiKey: 'sg_ingest_x', baseUrl: 'http://127.0.0.1:1' });
const error = errorFromResponse({ status: 400, requestId: null, retryAfter: null, body: { error: {
  code: 'invalid_request', message: 'The request is invalid.', details: [{ field: 'cost_usd', problem: 'must be >= 0' }] } } });
console.log(JSON.stringify({ VERSION, resolved: import.meta.resolve('@spendguard/sdk'),
  agents: typeof sg.agents.list, validation: error instanceof ValidationError, message: error.message }));
`,
    );
    const out = JSON.parse(ok(process.execPath, ['esm.mjs'], { cwd: project }));
    assert.equal(out.VERSION, manifest.version);
    assert.match(out.resolved, /\/node_modules\/@spendguard\/sdk\/dist\/esm\/index\.js$/);
    assert.equal(out.agents, 'function');
    assert.equal(out.validation, true);
    assert.equal(out.message, 'The request is invalid: cost_usd must be >= 0.');
  });

  it('requires from CommonJS without require(esm)', () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const sdk = require('@spendguard/sdk');
const sg = new sdk.Spendguard({ apiKey: 'sg_ingest_x', baseUrl: 'http://127.0.0.1:1' });
const error = sdk.errorFromResponse({ status: 403, requestId: null, retryAfter: null,
  body: { error: { code: 'budget_exceeded', message: 'over', scope: 'agent', period: 'day' } } });
console.log(JSON.stringify({ VERSION: sdk.VERSION, resolved: require.resolve('@spendguard/sdk'),
  agents: typeof sg.agents.list, budget: error instanceof sdk.BudgetExceededError && error instanceof sdk.SpendguardError,
  pkg: require('@spendguard/sdk/package.json').version }));
`,
    );
    const flags = noRequireEsm ? ['--no-experimental-require-module'] : [];
    const out = JSON.parse(ok(process.execPath, [...flags, 'cjs.cjs'], { cwd: project }));
    assert.equal(out.VERSION, manifest.version);
    assert.equal(out.pkg, manifest.version);
    assert.match(out.resolved, /[\\/]node_modules[\\/]@spendguard[\\/]sdk[\\/]dist[\\/]cjs[\\/]index\.js$/);
    assert.equal(out.agents, 'function');
    assert.equal(out.budget, true);
  });

  it('type-checks strict ESM (.mts) and CommonJS (.cts) consumers with module nodenext', () => {
    const dir = join(project, 'strict');
    mkdirSync(dir);
    // test/consumer/consumer.ts: calls that must compile and `@ts-expect-error` calls that must not.
    const consumer = readFileSync(join(sdkDir, 'test', 'consumer', 'consumer.ts'), 'utf8');
    writeFileSync(join(dir, 'consumer.mts'), consumer);
    writeFileSync(join(dir, 'consumer.cts'), consumer);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          // No DOM and no Node typings: the declarations must stand on ES2022 alone.
          lib: ['ES2022'],
          types: [],
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer.mts', 'consumer.cts'],
      }),
    );
    const listed = ok(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFilesOnly'], { cwd: dir });
    // The .mts gets the ESM declarations, the .cts the CommonJS ones (a .cts given ESM types fails with TS1479).
    assert.match(listed, /node_modules\/@spendguard\/sdk\/dist\/esm\/index\.d\.ts/);
    assert.match(listed, /node_modules\/@spendguard\/sdk\/dist\/cjs\/index\.d\.ts/);
    ok(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir });
  });

  it("compiles the README's TypeScript examples", () => {
    const dir = join(project, 'readme');
    mkdirSync(dir);
    // The examples use the LLM SDKs and Node's typings: lend the repository's copies to the fresh project.
    for (const name of ['openai', '@anthropic-ai/sdk', 'gpt-tokenizer', '@types/node']) {
      const link = join(project, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(repoRoot, 'node_modules', name), link, 'dir');
    }
    const readme = readFileSync(join(sdkDir, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
    assert.ok(blocks.length >= 4, `expected the README's examples, found ${blocks.length} ts blocks`);
    const names: string[] = [];
    blocks.forEach((block, index) => {
      const prelude = STUBS.filter(([name]) => uses(block, name) && !defines(block, name)).map(
        ([, line]) => line,
      );
      const file = `example-${index + 1}.mts`;
      writeFileSync(join(dir, file), `${prelude.join('\n')}\nexport {};\n${block}`);
      names.push(file);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: ['node'],
          strict: true,
          skipLibCheck: true,
          noEmit: true,
        },
        files: names,
      }),
    );
    ok(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir });
  });

  it('carries the version of package.json (src/version.ts is in step with it)', () => {
    assert.equal(VERSION, manifest.version);
  });
});

/** Declarations for what the README's snippets take as given, added to a snippet only if it uses the name. */
const STUBS: [string, string][] = [
  ['Spendguard', "import { Spendguard } from '@spendguard/sdk';"],
  ['guardOpenAI', "import { guardOpenAI } from '@spendguard/sdk';"],
  ['OpenAI', "import OpenAI from 'openai';"],
  ['sg', "declare const sg: import('@spendguard/sdk').Spendguard;"],
  ['apiKey', 'declare const apiKey: string;'],
  ['baseUrl', 'declare const baseUrl: string;'],
  ['tasks', 'declare const tasks: string[];'],
  ['llm', 'declare function llm(task: string): Promise<{ costUsd: number; text: string }>;'],
  ['messages', 'declare const messages: [];'],
  ['rawBody', 'declare const rawBody: string;'],
  ['request', 'declare const request: { headers: Record<string, string | undefined> };'],
  ['secret', 'declare const secret: string;'],
  ['notify', 'declare function notify(data: unknown): void;'],
];

// The names above are plain identifiers: no regular-expression escaping needed.
const uses = (code: string, name: string) => new RegExp(`(?<![.\\w$'])${name}\\b`).test(code);
const defines = (code: string, name: string) =>
  new RegExp(`import[^;]*\\b${name}\\b[^;]*from|(const|let|var|function|class)\\s+${name}\\b`).test(code);
