// Brute-force limits (docs/api.md §8): failed logins per email and per client address, signups per address, 429 with
// Retry-After; identical bodies and similar timing for a wrong email and a wrong password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { admit, createMemoryAttemptCounter } from '../../src/auth/rate-limit.js';
import { type ApiResponse, api, startTestServer, type TestServer, uniqueSuffix } from '../harness.js';

const password = () => `pw-${randomBytes(12).toString('hex')}`;
let ipCounter = 0;
/** A fresh client address per call (the servers below trust X-Forwarded-For). */
const freshIp = () => {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

async function signup(url: string, ip = freshIp()): Promise<{ email: string; password: string }> {
  const account = { email: `bf-${uniqueSuffix()}@example.test`, password: password() };
  const res = await api(url, '/v1/auth/signup', {
    body: { ...account, company: 'BF' },
    headers: { 'x-forwarded-for': ip },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return account;
}

function login(url: string, email: string, pw: string, ip: string): Promise<ApiResponse> {
  return api(url, '/v1/auth/login', { body: { email, password: pw }, headers: { 'x-forwarded-for': ip } });
}

function assertRateLimited(res: ApiResponse): void {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  const error = res.body.error as { message?: unknown };
  assert.equal(typeof error.message, 'string');
  assert.deepEqual(res.body, { error: { code: 'rate_limited', message: error.message } });
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 900,
    `Retry-After ${retryAfter}`,
  );
}

function limiterTests(label: string, start: () => Promise<TestServer>) {
  describe(`brute-force limits (${label})`, () => {
    let server: TestServer;
    before(async () => {
      server = await start();
    });
    after(async () => {
      await server.close();
    });

    it('15 wrong passwords from one address: 429 by the 11th; then the right password is refused too', async () => {
      const account = await signup(server.url);
      const ip = freshIp();
      const statuses: number[] = [];
      let limited: ApiResponse | undefined;
      for (let i = 0; i < 15; i++) {
        const res = await login(server.url, account.email, 'wrong-password-123', ip);
        statuses.push(res.status);
        if (res.status === 429) limited ??= res;
      }
      const first429 = statuses.indexOf(429);
      assert.ok(first429 >= 0 && first429 <= 10, JSON.stringify(statuses));
      assert.ok(
        statuses.slice(0, first429).every((s) => s === 401),
        JSON.stringify(statuses),
      );
      assert.ok(
        statuses.slice(first429).every((s) => s === 429),
        JSON.stringify(statuses),
      );
      assertRateLimited(limited as ApiResponse);
      assertRateLimited(await login(server.url, account.email, account.password, ip));
      // Also from a new address: the email itself is locked.
      assertRateLimited(await login(server.url, account.email, account.password, freshIp()));
    });

    it('limits one address trying many emails', async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push(
          (await login(server.url, `nobody-${i}-${uniqueSuffix()}@example.test`, 'x'.repeat(12), ip)).status,
        );
      }
      assert.equal(statuses.indexOf(429), 10, JSON.stringify(statuses));
      // Another address is unaffected.
      const account = await signup(server.url);
      assert.equal((await login(server.url, account.email, account.password, freshIp())).status, 200);
    });

    it('a successful login does not reset the address counter', async () => {
      const account = await signup(server.url);
      const ip = freshIp();
      for (let i = 0; i < 9; i++)
        assert.equal(
          (await login(server.url, `x${i}-${uniqueSuffix()}@e.test`, 'y'.repeat(12), ip)).status,
          401,
        );
      assert.equal((await login(server.url, account.email, account.password, ip)).status, 200);
      assert.equal((await login(server.url, `z-${uniqueSuffix()}@e.test`, 'y'.repeat(12), ip)).status, 401);
      assertRateLimited(await login(server.url, `w-${uniqueSuffix()}@e.test`, 'y'.repeat(12), ip));
    });

    it('limits signups to 10 per address per 15 minutes', async () => {
      const ip = freshIp();
      for (let i = 0; i < 10; i++) await signup(server.url, ip);
      const res = await api(server.url, '/v1/auth/signup', {
        body: { email: `s-${uniqueSuffix()}@example.test`, password: password(), company: 'S' },
        headers: { 'x-forwarded-for': ip },
      });
      assertRateLimited(res);
    });
  });
}

limiterTests('Redis', () => startTestServer({ env: { SPENDGUARD_TRUST_PROXY: '1' } }));
limiterTests('in-process, embedded', () =>
  startTestServer({ embedded: true, env: { SPENDGUARD_TRUST_PROXY: '1' } }),
);

describe('login answers do not reveal whether the email exists', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { SPENDGUARD_TRUST_PROXY: '1' } });
  });
  after(async () => {
    await server.close();
  });

  it('wrong email and wrong password: identical body, similar timing (medians of 5, ratio < 3)', async () => {
    const account = await signup(server.url);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const wrongPw: number[] = [];
    const wrongEmail: number[] = [];
    let bodyPw: unknown;
    let bodyEmail: unknown;
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      const a = await login(server.url, account.email, `wrong-${i}-password`, freshIp());
      wrongPw.push(performance.now() - t);
      t = performance.now();
      const b = await login(
        server.url,
        `nobody-${uniqueSuffix()}@example.test`,
        `wrong-${i}-password`,
        freshIp(),
      );
      wrongEmail.push(performance.now() - t);
      assert.equal(a.status, 401);
      assert.equal(b.status, 401);
      bodyPw = a.body;
      bodyEmail = b.body;
    }
    assert.deepEqual(bodyPw, bodyEmail);
    assert.deepEqual(bodyPw, {
      error: { code: 'unauthenticated', message: 'Missing or invalid credentials.' },
    });
    const [mp, me] = [median(wrongPw), median(wrongEmail)];
    const ratio = Math.max(mp, me) / Math.min(mp, me);
    assert.ok(ratio < 3, `median wrong password ${mp.toFixed(1)} ms, wrong email ${me.toFixed(1)} ms`);
    // Both really ran scrypt (N=2^17 takes tens of milliseconds at least), not an early return.
    assert.ok(me > 20, `wrong email took only ${me.toFixed(1)} ms`);
  });
});

describe('attempt counting', () => {
  it('counts parallel attempts before doing the work, so a burst cannot slip past', async () => {
    const counter = createMemoryAttemptCounter();
    const rules = [{ key: 'k', max: 10, windowMs: 60_000 }];
    const results = await Promise.all(Array.from({ length: 30 }, () => admit(counter, rules)));
    assert.equal(results.filter((r) => r.allowed).length, 10);
  });

  it('frees the window after it ends and reports the time left', async () => {
    let now = 1_000_000;
    const counter = createMemoryAttemptCounter(() => now);
    const rules = [{ key: 'k', max: 1, windowMs: 10_000 }];
    assert.equal((await admit(counter, rules)).allowed, true);
    now += 4_000;
    const refused = await admit(counter, rules);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 6);
    now += 6_000;
    assert.equal((await admit(counter, rules)).allowed, true);
  });
});
