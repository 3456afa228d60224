// Acceptance: with no database configured the real entry point starts on embedded PGlite, prints its URL,
// serves /healthz and signup, and keeps the data across a restart.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { api, freePort, startServerProcess, uniqueSuffix } from './harness.js';

/** The real entry point on this data dir and port, with the secret it generates there (none passed in). */
const startMain = (dataDir: string, port: number) =>
  startServerProcess({
    SPENDGUARD_DATA_DIR: dataDir,
    SPENDGUARD_PORT: String(port),
    SPENDGUARD_SESSION_SECRET: '',
    SPENDGUARD_LOG_LEVEL: 'warn',
  });

describe('embedded default (no SPENDGUARD_DATABASE_URL)', () => {
  it('starts on PGlite, prints its URL, signs up, and keeps data across a restart', {
    timeout: 180_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-embedded-'));
    const port = await freePort();
    const first = await startMain(dataDir, port);
    assert.equal(first.url, `http://127.0.0.1:${port}`);
    assert.match(first.output(), /first start: creating the embedded database/);
    assert.equal((await api(first.url, '/healthz')).status, 200);
    const email = `embedded-${uniqueSuffix()}@example.test`;
    const signup = await api(first.url, '/v1/auth/signup', {
      body: { email, password: 'correct horse battery staple', company: 'Embedded Inc' },
    });
    assert.equal(signup.status, 201, JSON.stringify(signup.body));
    assert.equal(await first.stop(), 0, 'graceful shutdown exits 0');

    const second = await startMain(dataDir, port);
    assert.doesNotMatch(second.output(), /first start/);
    const login = await api(second.url, '/v1/auth/login', {
      body: { email, password: 'correct horse battery staple' },
    });
    assert.equal(login.status, 200, 'the user created before the restart can log in');
    await second.stop();
  });
});
