import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../src/config.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

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
    const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        PATH: process.env.PATH,
        SPENDGUARD_PORT: '99999999',
        SPENDGUARD_REDIS_URL: 'ftp://x',
        SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-cfg-')),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /SPENDGUARD_PORT/);
    assert.match(result.stderr, /SPENDGUARD_REDIS_URL/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(result.stderr, /ftp:\/\/x/);
  });
});
