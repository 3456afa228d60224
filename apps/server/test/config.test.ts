import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, unknownSettings } from '../src/config.js';
import { freePort, runServerToExit, startServerProcess } from './harness.js';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('applies the documented defaults (docs/api.md §11)', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
    const config = parseConfig({ SPENDGUARD_DATA_DIR: dataDir });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8787);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.metricsToken, undefined);
    assert.equal(config.logLevel, 'info');
    assert.equal(
      config.defaultAgentMonthMicros,
      10_000_000,
      'docs/api.md §8: 10 USD unless the operator says',
    );
  });

  it('SPENDGUARD_DEFAULT_AGENT_MONTH_USD: a USD amount, empty = none, anything else named as the problem', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
    const read = (value: string) =>
      parseConfig({ SPENDGUARD_DATA_DIR: dataDir, SPENDGUARD_DEFAULT_AGENT_MONTH_USD: value })
        .defaultAgentMonthMicros;
    assert.equal(read('25'), 25_000_000);
    assert.equal(read('0.000001'), 1);
    assert.equal(read(''), null);
    assert.equal(read('  '), null);
    for (const bad of ['ten', '-5', '10 USD', '$10']) {
      assert.deepEqual(
        problemsOf({ SPENDGUARD_DATA_DIR: dataDir, SPENDGUARD_DEFAULT_AGENT_MONTH_USD: bad }),
        [
          'SPENDGUARD_DEFAULT_AGENT_MONTH_USD must be a USD amount such as 10 or 2.50 (empty = no default limit)',
        ],
        bad,
      );
    }
  });

  it('teams: signup open by default, closed on request; invite links on SPENDGUARD_PUBLIC_URL or this server', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
    const plain = parseConfig({ SPENDGUARD_DATA_DIR: dataDir });
    assert.deepEqual(plain.signup, { closed: false, ownerEmail: null });
    assert.equal(plain.publicUrl, 'http://127.0.0.1:8787');
    const set = parseConfig({
      SPENDGUARD_DATA_DIR: dataDir,
      SPENDGUARD_SIGNUP: 'closed',
      SPENDGUARD_OWNER_EMAIL: 'ada@example.com',
      SPENDGUARD_PUBLIC_URL: 'https://spend.example.com/',
    });
    assert.deepEqual(set.signup, { closed: true, ownerEmail: 'ada@example.com' });
    assert.equal(set.publicUrl, 'https://spend.example.com', 'no trailing slash: links add their own');
    assert.deepEqual(
      problemsOf({
        SPENDGUARD_DATA_DIR: dataDir,
        SPENDGUARD_SIGNUP: 'invite-only',
        SPENDGUARD_OWNER_EMAIL: 'ada',
        SPENDGUARD_PUBLIC_URL: 'spend.example.com?x=1',
      }).sort(),
      [
        'SPENDGUARD_OWNER_EMAIL must be an email address',
        'SPENDGUARD_PUBLIC_URL must be an http:// or https:// URL without query or fragment, e.g. https://spend.example.com',
        'SPENDGUARD_SIGNUP must be open or closed',
      ],
    );
  });

  it('generates the local session secret once, mode 0600, and reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
    const first = parseConfig({ SPENDGUARD_DATA_DIR: dataDir }).sessionSecret;
    const second = parseConfig({ SPENDGUARD_DATA_DIR: dataDir }).sessionSecret;
    assert.equal(first, second);
    assert.ok(first.length >= 32);
    const file = join(dataDir, 'session-secret');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), first);
  });

  it('SPENDGUARD_ENCRYPTION_KEY: 32 bytes as hex, base64 or base64url; anything else named, never echoed', () => {
    const key = randomBytes(32);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      const config = parseConfig({ SPENDGUARD_DATA_DIR: dataDir(), SPENDGUARD_ENCRYPTION_KEY: text });
      assert.deepEqual(config.encryptionKey, key, text);
    }
    const tooShort = randomBytes(16).toString('hex');
    for (const bad of [
      tooShort,
      'correct-horse-battery-staple-correct-horse-battery-staple-xx',
      randomBytes(33).toString('base64'),
    ]) {
      const problems = problemsOf({ SPENDGUARD_DATA_DIR: dataDir(), SPENDGUARD_ENCRYPTION_KEY: bad });
      assert.deepEqual(
        problems,
        [
          'SPENDGUARD_ENCRYPTION_KEY must be 32 random bytes as 64 hex characters or base64/base64url (e.g. openssl rand -hex 32)',
        ],
        bad,
      );
      assert.ok(!problems.join('\n').includes(bad));
    }
  });

  it('SPENDGUARD_ENCRYPTION_KEY_PREVIOUS: comma-separated old keys; a bad one is named, never echoed', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const config = parseConfig({
      SPENDGUARD_DATA_DIR: dataDir(),
      SPENDGUARD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      SPENDGUARD_ENCRYPTION_KEY_PREVIOUS: ` ${a.toString('hex')}, ${b.toString('base64url')},`,
    });
    assert.deepEqual(config.previousEncryptionKeys, [a, b]);
    assert.deepEqual(parseConfig({ SPENDGUARD_DATA_DIR: dataDir() }).previousEncryptionKeys, []);
    const problems = problemsOf({
      SPENDGUARD_DATA_DIR: dataDir(),
      SPENDGUARD_ENCRYPTION_KEY_PREVIOUS: `${a.toString('hex')},not-a-key-at-all`,
    });
    assert.deepEqual(problems, [
      'SPENDGUARD_ENCRYPTION_KEY_PREVIOUS must be a comma-separated list of keys, each 32 bytes as 64 hex characters or base64/base64url',
    ]);
    assert.ok(!problems.join('\n').includes(a.toString('hex')));
  });

  it('generates the local encryption key once, mode 0600, and reuses it; never in production', () => {
    const dir = dataDir();
    const first = parseConfig({ SPENDGUARD_DATA_DIR: dir }).encryptionKey;
    const second = parseConfig({ SPENDGUARD_DATA_DIR: dir }).encryptionKey;
    assert.ok(first && first.length === 32);
    assert.deepEqual(second, first);
    const file = join(dir, 'encryption-key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), first.toString('hex'));
    // A set key wins over the file.
    const given = randomBytes(32);
    assert.deepEqual(
      parseConfig({ SPENDGUARD_DATA_DIR: dir, SPENDGUARD_ENCRYPTION_KEY: given.toString('hex') })
        .encryptionKey,
      given,
    );
    // Production: no key is made up (a key on one machine's disk would be lost with it); none set → null.
    const prodDir = dataDir();
    const production = parseConfig({
      NODE_ENV: 'production',
      SPENDGUARD_SESSION_SECRET: 'x'.repeat(40),
      SPENDGUARD_ALLOW_EMBEDDED: '1',
      SPENDGUARD_DATA_DIR: prodDir,
    });
    assert.equal(production.encryptionKey, null);
    assert.equal(existsSync(join(prodDir, 'encryption-key')), false);
    assert.match(
      problemsOf({
        NODE_ENV: 'production',
        SPENDGUARD_SESSION_SECRET: 'x'.repeat(40),
        SPENDGUARD_ALLOW_EMBEDDED: '1',
        SPENDGUARD_DATA_DIR: prodDir,
        SPENDGUARD_ENCRYPTION_KEY_PREVIOUS: randomBytes(32).toString('hex'),
      }).join('\n'),
      /SPENDGUARD_ENCRYPTION_KEY_PREVIOUS needs SPENDGUARD_ENCRYPTION_KEY/,
    );
    // A damaged key file is named by its path, not read as some other key.
    const damaged = dataDir();
    writeFileSync(join(damaged, 'encryption-key'), 'not a key\n');
    assert.match(
      problemsOf({ SPENDGUARD_DATA_DIR: damaged }).join('\n'),
      /encryption-key does not hold a valid encryption key/,
    );
  });

  it('names every bad variable at once and never echoes a value', () => {
    const secretValue = 'short-secret-value';
    const problems = problemsOf({
      SPENDGUARD_DATABASE_URL: 'mysql://nope',
      SPENDGUARD_REDIS_URL: 'http://x',
      SPENDGUARD_PORT: 'eighty',
      SPENDGUARD_SESSION_SECRET: secretValue,
      SPENDGUARD_LOG_LEVEL: 'loud',
    });
    const text = problems.join('\n');
    for (const name of [
      'SPENDGUARD_DATABASE_URL',
      'SPENDGUARD_REDIS_URL',
      'SPENDGUARD_PORT',
      'SPENDGUARD_SESSION_SECRET',
      'SPENDGUARD_LOG_LEVEL',
    ]) {
      assert.match(text, new RegExp(name), `${name} not named`);
    }
    assert.doesNotMatch(text, new RegExp(secretValue));
    assert.doesNotMatch(text, /mysql:\/\/nope/);
  });

  it('requires a session secret and refuses the embedded store in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' }).join('\n');
    assert.match(problems, /SPENDGUARD_SESSION_SECRET is required/);
    assert.match(problems, /SPENDGUARD_DATABASE_URL is required/);
    const accepted = problemsOf({
      NODE_ENV: 'production',
      SPENDGUARD_SESSION_SECRET: 'x'.repeat(40),
      SPENDGUARD_ALLOW_EMBEDDED: '1',
      SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-cfg-')),
    });
    assert.deepEqual(accepted, []);
  });

  it('stops the process with exit code 1 and one message, no stack trace', () => {
    const result = runServerToExit({
      SPENDGUARD_PORT: '99999999',
      SPENDGUARD_REDIS_URL: 'ftp://x',
      SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-cfg-')),
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /SPENDGUARD_PORT/);
    assert.match(result.stderr, /SPENDGUARD_REDIS_URL/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(result.stderr, /ftp:\/\/x/);
  });
});

describe('configuration that helps', () => {
  it('reads switches as 1/0, true/false or yes/no in any case, and names the accepted words otherwise', () => {
    for (const [value, expected] of [
      ['1', true],
      ['true', true],
      ['YES', true],
      [' True ', true],
      ['0', false],
      ['false', false],
      ['No', false],
    ] as const) {
      const config = parseConfig({ SPENDGUARD_DATA_DIR: dataDir(), SPENDGUARD_TRUST_PROXY: value });
      assert.equal(config.trustProxy, expected, value);
    }
    assert.deepEqual(problemsOf({ SPENDGUARD_DATA_DIR: dataDir(), SPENDGUARD_TRUST_PROXY: 'maybe' }), [
      'SPENDGUARD_TRUST_PROXY must be 1/0, true/false or yes/no',
    ]);
  });

  it('SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: off by default, a switch like the others', () => {
    assert.equal(parseConfig({ SPENDGUARD_DATA_DIR: dataDir() }).allowPrivateUpstreams, false);
    for (const [value, expected] of [
      ['1', true],
      ['yes', true],
      ['0', false],
      ['False', false],
    ] as const) {
      const config = parseConfig({
        SPENDGUARD_DATA_DIR: dataDir(),
        SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: value,
      });
      assert.equal(config.allowPrivateUpstreams, expected, value);
    }
    assert.deepEqual(
      problemsOf({ SPENDGUARD_DATA_DIR: dataDir(), SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: '2' }),
      ['SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS must be 1/0, true/false or yes/no'],
    );
  });

  it('knows the gateway settings (no warning for them), and suggests them for a typo', () => {
    assert.deepEqual(
      unknownSettings({
        SPENDGUARD_ENCRYPTION_KEY: 'x',
        SPENDGUARD_ENCRYPTION_KEY_PREVIOUS: 'x',
        SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: '1',
        SPENDGUARD_ENCRYPTON_KEY: 'x',
      }),
      [
        'SPENDGUARD_ENCRYPTON_KEY is not a Spendguard setting and is ignored — did you mean SPENDGUARD_ENCRYPTION_KEY?',
      ],
    );
  });

  it('warns of a SPENDGUARD_* name it does not know, with the closest real one', () => {
    assert.deepEqual(
      unknownSettings({
        SPENDGUARD_DATABSE_URL: 'postgres://x',
        SPENDGUARD_PORT: '1',
        SPENDGUARD_API_KEY: 'sg_ingest_client_side',
        SPENDGUARD_SOMETHING_ELSE_ENTIRELY: '1',
        PATH: '/bin',
      }),
      [
        'SPENDGUARD_DATABSE_URL is not a Spendguard setting and is ignored — did you mean SPENDGUARD_DATABASE_URL?',
        'SPENDGUARD_SOMETHING_ELSE_ENTIRELY is not a Spendguard setting and is ignored',
      ],
    );
  });

  it('a misspelt name in .env is warned about at start, before the server runs embedded', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, '.env'), 'SPENDGUARD_DATABSE_URL=postgres://127.0.0.1:1/x\nSPENDGUARD_PORT=0\n');
    // Run in the directory that holds the .env, where the server reads it.
    const server = await startServerProcess({ SPENDGUARD_DATA_DIR: join(dir, 'data') }, [], dir);
    try {
      const out = server.output();
      assert.match(
        out,
        /warning: SPENDGUARD_DATABSE_URL is not a Spendguard setting.*SPENDGUARD_DATABASE_URL\?/,
      );
      assert.ok(out.indexOf('warning:') < out.indexOf('embedded mode'), out);
    } finally {
      await server.stop();
    }
  });
});

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sg-cfg-'));
}

describe('start-up failures an operator can act on', () => {
  /** The real server with these settings and quiet logs, until it stops by itself. */
  const start = (env: Record<string, string>) => runServerToExit({ SPENDGUARD_LOG_LEVEL: 'silent', ...env });

  it('an unreachable Redis is named with its URL, the password masked', async () => {
    const port = await freePort();
    const { status, stderr } = start({
      SPENDGUARD_DATA_DIR: dataDir(),
      SPENDGUARD_PORT: '0',
      SPENDGUARD_REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${port}`,
    });
    assert.equal(status, 1);
    assert.match(
      stderr,
      new RegExp(
        `Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(SPENDGUARD_REDIS_URL\\) is unreachable`,
      ),
    );
    assert.doesNotMatch(stderr, /hunter2/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  it('an unreachable PostgreSQL is named with its URL, the password masked', async () => {
    const port = await freePort();
    // Built field by field: a connection string with a password written out is what the secrets scan refuses.
    const url = new URL(`postgres://127.0.0.1:${port}/spendguard`);
    url.username = 'sg';
    url.password = 'hunter2-secret';
    const { status, stderr } = start({
      SPENDGUARD_DATA_DIR: dataDir(),
      SPENDGUARD_PORT: '0',
      SPENDGUARD_DATABASE_URL: url.toString(),
    });
    assert.equal(status, 1);
    url.password = '***';
    const masked = url.toString().replace(/[.*()]/g, (c) => `\\${c}`);
    assert.match(
      stderr,
      new RegExp(`PostgreSQL at ${masked} \\(SPENDGUARD_DATABASE_URL\\) is unreachable: ECONNREFUSED`),
    );
    assert.doesNotMatch(stderr, /hunter2/);
  });

  it('a port in use is said plainly before any database is created', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const dir = dataDir();
    try {
      const { status, stderr } = start({ SPENDGUARD_DATA_DIR: dir, SPENDGUARD_PORT: String(port) });
      assert.equal(status, 1);
      assert.match(stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.equal(existsSync(join(dir, 'pgdata')), false, 'no embedded database was created');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
