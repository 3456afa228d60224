// Acceptance tests of the dashboard in a real Chromium against the real server (PostgreSQL + Redis via
// the server's test harness). They build the dashboard first, so they test the current source.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page, Request as PwRequest } from 'playwright-core';
import { build } from 'vite';
import { startLLMUpstream } from '../../../packages/sdk/test/support/llm-upstream.js';
import { launchChromium } from '../../server/test/chromium.js';
import {
  api,
  signupAndAdminKey,
  startSecondInstance,
  startTestServer,
  type Tenant,
  type TestServer,
} from '../../server/test/harness.js';
import { startReceiver } from '../../server/test/webhooks/receiver.js';
import { formatUsd } from '../src/lib/money.js';
import type { Agent } from '../src/lib/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const dashboardRoot = join(here, '..');
// The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1 npm test -- browser), so a plain test
// run leaves the working tree clean; otherwise they go to a temporary directory (still taken: the pages must render).
const screenshotDir =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(here, '..', '..', '..', 'docs', 'screenshots')
    : mkdtempSync(join(tmpdir(), 'sg-screenshots-'));
let server: TestServer;
let tenant: Tenant;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let eventCounter = 0;
/** Console errors and CSP violations seen by any page; the dashboard must cause none. */
const pageProblems: string[] = [];

async function postEvent(body: Record<string, unknown>, key = tenant.adminKey) {
  eventCounter += 1;
  return api(server.url, '/v1/events', {
    key,
    headers: { 'Idempotency-Key': `browser-test-${Date.now()}-${eventCounter}` },
    body,
  });
}

async function listAgents(): Promise<Agent[]> {
  const response = await api<{ data: Agent[] }>(server.url, '/v1/agents?limit=100', { key: tenant.adminKey });
  assert.equal(response.status, 200);
  return response.body.data;
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

function row(name: string) {
  return page.locator(`[data-testid="agent-row"][data-agent="${name}"]`);
}

async function newPage(width: number, inContext: BrowserContext = context): Promise<Page> {
  const p = await inContext.newPage();
  await p.setViewportSize({ width, height: 900 });
  p.on('console', (message) => {
    // Failed requests are reported with their URL by the response listener below.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      pageProblems.push(`console: ${message.text()}`);
    }
  });
  p.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
  p.on('response', (response) => {
    // The 401 of GET /v1/auth/me before logging in is expected; any other failed request is a problem.
    const expected = response.status() === 401 && response.url().endsWith('/v1/auth/me');
    if (response.status() >= 400 && !expected) {
      pageProblems.push(`${response.request().method()} ${response.url()} → ${response.status()}`);
    }
  });
  await p.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return p;
}

async function logIn(p: Page, who: Tenant = tenant, url = server.url): Promise<void> {
  await p.goto(`${url}/#/login`);
  await p.getByLabel('Email').fill(who.email);
  await p.getByLabel('Password').fill(who.password);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.getByRole('heading', { name: 'Agents' }).waitFor();
  await p
    .getByTestId('live-status')
    .filter({ hasText: /^live$/ })
    .waitFor({ timeout: 5000 });
}

describe('dashboard in a browser', { timeout: 120_000 }, () => {
  before(async () => {
    await build({ root: dashboardRoot, configFile: join(dashboardRoot, 'vite.config.ts'), logLevel: 'warn' });
    // As the product starts customers: new agents get the 10 USD default month limit (docs/api.md §8).
    // Private webhook URLs allowed: the Webhooks page's receiver runs on this machine.
    server = await startTestServer({ productDefaults: true, env: { SPENDGUARD_WEBHOOK_ALLOW_PRIVATE: '1' } });
    tenant = await signupAndAdminKey(server.url);
    // Amounts chosen to exercise the formatting: whole cents, sub-cent, one micro.
    assert.equal((await postEvent({ agent: 'alpha', cost_usd: '1.73' })).status, 201);
    assert.equal((await postEvent({ agent: 'beta', cost_usd: '0.0123' })).status, 201);
    assert.equal((await postEvent({ agent: 'gamma', cost_micros: 1 })).status, 201);
    const created = await api(server.url, '/v1/agents', {
      key: tenant.adminKey,
      body: { name: 'limited', limits: { month_usd: '1.00' } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await postEvent({ agent: 'limited', cost_usd: '0.90' })).status, 201);
    browser = await launchChromium();
    context = await browser.newContext();
    page = await newPage(1280);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the page is served under a strict CSP', async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  test('after login every agent is listed with its exact spend', async () => {
    await logIn(page);
    const agents = await listAgents();
    assert.ok(agents.length >= 4);
    for (const agent of agents) {
      await row(agent.name).waitFor();
      const month = await text(row(agent.name).getByTestId('month-spend'));
      const day = await text(row(agent.name).getByTestId('day-spend'));
      assert.ok(month.includes(formatUsd(agent.spend.month_micros)), `${agent.name} month: ${month}`);
      assert.ok(day.includes(formatUsd(agent.spend.day_micros)), `${agent.name} day: ${day}`);
      if (agent.last_event_at) {
        // In the viewer's time zone and locale, as the browser formats it.
        const local = await page.evaluate((iso) => new Date(iso).toLocaleString(), agent.last_event_at);
        assert.equal(await text(row(agent.name).getByTestId('last-event')), local);
      }
    }
    assert.match(await text(row('alpha').getByTestId('month-spend')), /\$1\.73(?!\d)/);
    assert.match(await text(row('beta').getByTestId('month-spend')), /\$0\.0123(?!\d)/);
    assert.match(await text(row('gamma').getByTestId('month-spend')), /\$0\.000001(?!\d)/);
    assert.match(await text(row('limited').getByTestId('month-spend')), /\$0\.90 of \$1\.00/);
    assert.equal(await page.locator('[data-testid="agent-row"]').count(), agents.length);
  });

  test('an event posted through the API shows within one second, without a reload', async (t) => {
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    const started = Date.now();
    assert.equal((await postEvent({ agent: 'alpha', cost_usd: '0.25' })).status, 201);
    await row('alpha').getByTestId('month-spend').filter({ hasText: '$1.98' }).waitFor({ timeout: 1000 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    t.diagnostic(`API event → dashboard row updated in ${elapsed} ms`);
    assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true);

    // A brand-new agent (created on the fly by its first event) appears too.
    assert.equal((await postEvent({ agent: 'newcomer', cost_usd: '0.05' })).status, 201);
    await row('newcomer').getByTestId('month-spend').filter({ hasText: '$0.05' }).waitFor({ timeout: 2000 });
  });

  test('with two server instances, an event posted to instance B shows on the dashboard served by A', async (t) => {
    // B shares A's PostgreSQL database and Redis prefix (and so its session secret): a second instance of one deployment.
    const instanceB = await startSecondInstance(server);
    try {
      const started = Date.now();
      const posted = await api(instanceB.url, '/v1/events', {
        key: tenant.adminKey,
        headers: { 'Idempotency-Key': `browser-test-b-${Date.now()}` },
        body: { agent: 'from-b', cost_usd: '0.07' },
      });
      assert.equal(posted.status, 201, JSON.stringify(posted.body));
      await row('from-b').getByTestId('month-spend').filter({ hasText: '$0.07' }).waitFor({ timeout: 1000 });
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 1000, `took ${elapsed} ms`);
      t.diagnostic(`event on instance B → dashboard on instance A in ${elapsed} ms`);
    } finally {
      await instanceB.close();
    }
  });

  test('a dropped stream shows "reconnecting", reconnects by itself and updates resume', async () => {
    const live = page.getByTestId('live-status');
    await live.filter({ hasText: /^live$/ }).waitFor();
    server.app.server.closeAllConnections(); // drops the SSE connection, as a restart or proxy would
    await live.filter({ hasText: 'reconnecting' }).waitFor({ timeout: 5000 });
    // Spent while the stream is down: the page catches up when it is back.
    assert.equal((await postEvent({ agent: 'beta', cost_usd: '0.01' })).status, 201);
    await live.filter({ hasText: /^live$/ }).waitFor({ timeout: 10_000 });
    await row('beta').getByTestId('month-spend').filter({ hasText: '$0.0223' }).waitFor({ timeout: 2000 });
    // And live updates flow again.
    assert.equal((await postEvent({ agent: 'beta', cost_usd: '0.01' })).status, 201);
    await row('beta').getByTestId('month-spend').filter({ hasText: '$0.0323' }).waitFor({ timeout: 1000 });
  });

  test('the kill switch suspends the agent for the next event, and resume lifts it', async () => {
    await row('alpha').getByTestId('kill-switch').click();
    await row('alpha').getByTestId('kill-confirm').click();
    await row('alpha')
      .getByTestId('agent-status')
      .filter({ hasText: 'suspended' })
      .waitFor({ timeout: 2000 });
    const declined = await postEvent({ agent: 'alpha', cost_usd: '0.01' });
    assert.equal(declined.status, 403);
    assert.equal(declined.body.error.code, 'agent_suspended');

    await row('alpha').getByTestId('kill-switch').click();
    await row('alpha').getByTestId('kill-confirm').click();
    await row('alpha').getByTestId('agent-status').filter({ hasText: 'active' }).waitFor({ timeout: 2000 });
    assert.equal((await postEvent({ agent: 'alpha', cost_usd: '0.01' })).status, 201);
  });

  test('the kill switch asks before acting: cancel leaves the agent running', async () => {
    await row('beta').getByTestId('kill-switch').click();
    await row('beta').getByRole('button', { name: 'Cancel' }).click();
    const agent = (await listAgents()).find((a) => a.name === 'beta');
    assert.equal(agent?.status, 'active');
  });

  test('hostile metadata renders as inert text', async () => {
    const payload = '<img src=x onerror=window.__xss=1>';
    assert.equal(
      (await postEvent({ agent: 'xss-target', cost_usd: '0.02', metadata: { note: payload } })).status,
      201,
    );
    await page.goto(`${server.url}/#/agents/xss-target`);
    const metadata = page.getByTestId('event-metadata').first();
    await metadata.waitFor();
    assert.ok((await text(metadata)).includes(payload));
    assert.equal(await page.getByTestId('event-feed').locator('img').count(), 0);
    await page.waitForTimeout(200); // give a would-be onerror handler time to run
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
  });

  test('an event priced from usage shows its model and tokens', async () => {
    const usage = {
      provider: 'openai',
      model: 'gpt-4o-mini',
      input_tokens: 1200,
      output_tokens: 350,
      cache_read_tokens: 1000,
    };
    const res = await postEvent({ agent: 'priced', usage });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.event.cost_micros, 315);
    await page.goto(`${server.url}/#/agents/priced`);
    const line = page.getByTestId('event-usage').first();
    await line.waitFor();
    assert.equal(await text(line), 'gpt-4o-mini · 1,200 in (1,000 cached) / 350 out');
    assert.match(await text(page.getByTestId('event-row').first()), /\$0\.000315/);
  });

  test('the detail page shows spend by model over the selected range, matching the events', async () => {
    const bodies = [
      { usage: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, output_tokens: 350 } },
      { usage: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 800, output_tokens: 50 } },
      {
        usage: {
          provider: 'anthropic',
          model: 'claude-sonnet-4-5-20250929',
          input_tokens: 3000,
          output_tokens: 400,
          cache_read_tokens: 1000,
        },
      },
      { cost_usd: '0.0042' },
    ];
    // What each line should say, from the events as the API recorded them.
    const want = new Map<string, { micros: number; events: number }>();
    for (const body of bodies) {
      const res = await postEvent({ agent: 'model-mix', ...body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const key = res.body.event.usage?.model ?? 'cost';
      const line = want.get(key) ?? { micros: 0, events: 0 };
      line.micros += res.body.event.cost_micros;
      line.events += 1;
      want.set(key, line);
    }
    const order = [...want.entries()].sort((a, b) => b[1].micros - a[1].micros).map(([k]) => k);
    await page.goto(`${server.url}/#/agents/model-mix`);
    const rows = page.getByTestId('model-spend').getByTestId('model-row');
    await rows.nth(order.length - 1).waitFor();
    assert.equal(await rows.count(), order.length);
    for (const [i, key] of order.entries()) {
      const line = want.get(key);
      assert.ok(line);
      const r = rows.nth(i);
      assert.equal(await r.getAttribute('data-model'), key);
      assert.equal(await text(r.getByTestId('model-spent')), formatUsd(line.micros), key);
      assert.equal(await text(r.getByTestId('model-events')), String(line.events), key);
    }
    assert.equal(
      await text(page.locator('[data-testid="model-row"][data-model="cost"] [data-testid="model-name"]')),
      'cost given (no usage)',
    );
    assert.equal(
      await text(
        page.locator('[data-testid="model-row"][data-model="gpt-4o-mini"] [data-testid="model-tokens"]'),
      ),
      '2,000 / 400',
    );
    // The table adds up to the chart's total for the same range.
    const total = [...want.values()].reduce((s, l) => s + l.micros, 0);
    assert.equal(await text(page.getByTestId('chart-total')), formatUsd(total));
    // Another granularity reads its own range: the same events, so the same lines.
    await page.getByRole('radio', { name: 'day', exact: true }).check();
    await page.getByTestId('model-range').filter({ hasText: 'last 31 days' }).waitFor();
    await page
      .getByTestId('chart-total')
      .filter({ hasText: formatUsd(total) })
      .waitFor();
    assert.equal(await rows.count(), order.length);
  });

  test('the detail page shows live events and declines with their code', async () => {
    await page.goto(`${server.url}/#/agents/limited`);
    await page.getByTestId('agent-title').filter({ hasText: 'limited' }).waitFor();
    await page.getByTestId('event-row').first().waitFor();
    const before = await page.getByTestId('event-row').count();
    assert.equal((await postEvent({ agent: 'limited', cost_usd: '0.01' })).status, 201);
    await page.getByTestId('event-row').nth(before).waitFor({ timeout: 1000 });
    assert.match(await text(page.getByTestId('event-row').first()), /\$0\.01(?!\d)/);
    await page.getByTestId('chart-total').filter({ hasText: '$0.91' }).waitFor({ timeout: 3000 });
  });

  test('editing a limit on the detail page changes what the next event may spend', async () => {
    await page.goto(`${server.url}/#/agents/limited`);
    const month = page.getByLabel('Month limit (USD)');
    await month.waitFor();
    assert.equal(await month.inputValue(), '1');
    // Spent $0.91 of $1.00: lower the limit to $0.95, so a $0.10 event no longer fits.
    await month.fill('0.95');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Limits saved.').waitFor();
    const declined = await postEvent({ agent: 'limited', cost_usd: '0.10' });
    assert.equal(declined.status, 403);
    assert.equal(declined.body.error.code, 'budget_exceeded');
    const declineCode = page.getByTestId('decline-code').first();
    await declineCode.waitFor({ timeout: 2000 });
    assert.match(await text(declineCode), /budget_exceeded/);
    await page.getByTestId('agent-status').filter({ hasText: 'suspended' }).waitFor({ timeout: 2000 });

    // Raise it again: the suspension it caused lifts at once (no Resume), and the same event now fits.
    await month.fill('5');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Limits saved.').waitFor();
    await page.getByTestId('agent-status').filter({ hasText: 'active' }).waitFor({ timeout: 2000 });
    assert.equal((await postEvent({ agent: 'limited', cost_usd: '0.10' })).status, 201);
    const agent = (await listAgents()).find((a) => a.name === 'limited');
    assert.equal(agent?.limits.month_micros, 5_000_000);
  });

  test('the other pages load: API keys (shown once), settings, audit log', async () => {
    await page.goto(`${server.url}/#/keys`);
    await page.getByLabel('Name', { exact: true }).fill('ci ingest');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByTestId('created-key').inputValue();
    assert.match(key, /^sg_ingest_[A-Za-z0-9]{32,}$/);
    const accepted = await api(server.url, '/v1/events', {
      key,
      headers: { 'Idempotency-Key': `browser-test-key-${Date.now()}` },
      body: { agent: 'beta', cost_usd: '0.01' },
    });
    assert.equal(accepted.status, 201);

    // Revoking in the dashboard stops the key at once.
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Revoke key ci ingest' }).click();
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await page.getByRole('button', { name: 'Confirm revoke ci ingest' }).click();
    assert.equal((await deleted).status(), 204);
    await page.getByRole('button', { name: 'Confirm revoke ci ingest' }).waitFor({ state: 'detached' });
    const revoked = await api(server.url, '/v1/events', {
      key,
      headers: { 'Idempotency-Key': `browser-test-key-revoked-${Date.now()}` },
      body: { agent: 'beta', cost_usd: '0.01' },
    });
    assert.equal(revoked.status, 401);

    await page.goto(`${server.url}/#/settings`);
    await page.getByLabel('Month limit for all agents together (USD)').fill('1234.5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    const customer = await api(server.url, '/v1/customer', { key: tenant.adminKey });
    assert.equal(customer.body.limits.month_micros, 1_234_500_000);
    await page.goto(`${server.url}/#/audit`);
    await page.getByTestId('audit-list').waitFor();
    assert.ok((await page.locator('.audit-item').count()) > 0);
  });

  test('webhooks: add an endpoint (secret shown once), send a test the receiver refuses, retry it, delivered', async () => {
    const receiver = await startReceiver();
    receiver.answer = 500;
    try {
      await page.goto(`${server.url}/#/webhooks`);
      await page.getByLabel('URL').fill(receiver.url);
      await page.getByLabel('Description (optional)').fill('browser test');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      assert.match(await page.getByTestId('webhook-secret').inputValue(), /^whsec_[A-Za-z0-9_-]{43}$/);
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByTestId('webhook-secret').waitFor({ state: 'detached' });
      const endpoint = page.locator(`[data-testid="webhook-endpoint"][data-url="${receiver.url}"]`);
      assert.match(await text(endpoint), /budget\.threshold, agent\.suspended, agent\.resumed/);

      await endpoint.getByRole('button', { name: 'Send test' }).click();
      await receiver.waitFor(1);
      const delivery = endpoint.getByTestId('delivery-row').filter({ hasText: 'webhook.test' });
      // The log shows the refused attempt once the worker recorded it.
      for (let i = 0; i < 50 && !(await text(delivery)).includes('answered 500'); i++) {
        await endpoint.getByRole('button', { name: 'Refresh' }).click();
        await page.waitForTimeout(100);
      }
      assert.match(await text(delivery), /answered 500/);
      assert.equal(await delivery.getAttribute('data-status'), 'pending');

      receiver.answer = 200;
      await delivery.getByRole('button', { name: /^Deliver webhook\.test whevt_/ }).click();
      await receiver.waitFor(2);
      for (let i = 0; i < 50 && (await delivery.getAttribute('data-status')) !== 'delivered'; i++) {
        await endpoint.getByRole('button', { name: 'Refresh' }).click();
        await page.waitForTimeout(100);
      }
      assert.equal(await delivery.getAttribute('data-status'), 'delivered');
      const [first, second] = receiver.received;
      assert.equal(first?.headers['spendguard-event-id'], second?.headers['spendguard-event-id']);
      assert.equal(first?.body, second?.body, 'the retry sends the same bytes');

      // In-app: the agents page lists the last alerts — a threshold crossed by spend, and a suspension as it happens.
      assert.equal(
        (
          await api(server.url, '/v1/agents', {
            key: tenant.adminKey,
            body: { name: 'alerted', limits: { month_usd: '1' } },
          })
        ).status,
        201,
      );
      assert.equal((await postEvent({ agent: 'alerted', cost_usd: '0.85' })).status, 201);
      for (let i = 0; i < 50; i++) {
        const listed = await api(server.url, '/v1/alerts', { key: tenant.adminKey });
        if (JSON.stringify(listed.body).includes('"agent":"alerted","period":"month","threshold_percent":80'))
          break;
        await page.waitForTimeout(100);
      }
      await page.goto(`${server.url}/#/agents`);
      const alerts = page.getByTestId('recent-alerts');
      await alerts
        .getByText('alerted reached 80 % of its month limit: $0.85 of $1.00')
        .waitFor({ timeout: 5000 });
      assert.equal(
        (await api(server.url, '/v1/agents/alerted/suspend', { key: tenant.adminKey, body: {} })).status,
        200,
      );
      await alerts.getByText('alerted was suspended by an API key (by hand)').waitFor({ timeout: 5000 });
      await api(server.url, '/v1/agents/alerted/resume', { key: tenant.adminKey, body: {} });

      // The customer's alert percentages are set on the Settings page.
      await page.goto(`${server.url}/#/settings`);
      await page.getByLabel(/^Alert at these percentages/).fill('90, 25');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
      const customer = await api(server.url, '/v1/customer', { key: tenant.adminKey });
      assert.deepEqual(customer.body.alert_thresholds_percent, [25, 90]);
      assert.equal(await page.getByLabel(/^Alert at these percentages/).inputValue(), '25, 90');
    } finally {
      await receiver.close();
    }
  });

  test('settings: an admin sets a price of its own, events are charged at it, and deletes it', async () => {
    const mini = async () =>
      (await api(server.url, '/v1/prices?provider=openai&model=gpt-4o-mini', { key: tenant.adminKey })).body;
    await page.goto(`${server.url}/#/settings`);
    const section = page.getByTestId('prices-section');
    await section.getByText('No prices of your own').waitFor();
    await section.getByLabel('Provider', { exact: true }).fill('openai');
    await section.getByLabel('Model', { exact: true }).fill('gpt-4o-mini');
    // Without input or output the form says so before anything is sent.
    await section.getByRole('button', { name: 'Save price' }).click();
    await section.getByText('Give at least an input or an output price.').waitFor();
    await section.getByLabel('Input (USD / M tokens)').fill('0.1');
    await section.getByLabel('Output (USD / M tokens)').fill('0.4');
    await section.getByRole('button', { name: 'Save price' }).click();
    await section.getByText('Price saved for openai/gpt-4o-mini.').waitFor();
    const priceRow = section.getByTestId('price-row');
    await priceRow.filter({ hasText: 'gpt-4o-mini' }).waitFor();
    assert.match(await text(priceRow), /\$0\.1.*\$0\.4/);
    const saved = await mini();
    assert.equal(saved.source, 'customer');
    assert.equal(saved.prices.input_per_mtok_usd, '0.1');
    // 1000 × 0.1 + 500 × 0.4 = 300 micros (the catalogue would charge 450).
    const event = await postEvent({
      agent: 'priced',
      usage: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1000, output_tokens: 500 },
    });
    assert.equal(event.status, 201, JSON.stringify(event.body));
    assert.equal(event.body.event.cost_micros, 300);

    await section.getByRole('button', { name: 'Delete price openai/gpt-4o-mini' }).click();
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await section.getByRole('button', { name: 'Confirm delete openai/gpt-4o-mini' }).click();
    assert.equal((await deleted).status(), 204);
    await section.getByText('No prices of your own').waitFor();
    assert.equal((await mini()).source, 'catalogue');
  });

  test('providers: an admin sets an OpenAI key, sees only its hint after a reload, replaces it and deletes it', async () => {
    // Not real keys (nothing is called with them): distinct tails, so each hint says which one is stored.
    const first = 'sk-dashboard-browser-test-first-key-1234';
    const second = 'sk-dashboard-browser-test-second-key-wxyz';
    const card = page.locator('[data-testid="provider-card"][data-provider="openai"]');
    const stored = async () => {
      const listed = await api(server.url, '/v1/providers', { key: tenant.adminKey });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      return (listed.body.data as Array<Record<string, unknown>>).find((c) => c.provider === 'openai');
    };
    // Only the PUTs may carry a key, in their bodies; no URL ever does.
    const carriers: string[] = [];
    const watch = (request: PwRequest) => {
      const body = request.postData() ?? '';
      const url = request.url();
      if (url.includes(first) || url.includes(second)) carriers.push(`URL ${url}`);
      if (body.includes(first) || body.includes(second))
        carriers.push(`${request.method()} ${request.url()}`);
    };
    page.on('request', watch);
    try {
      await page.goto(`${server.url}/#/providers`);
      await page.locator('main h1').filter({ hasText: 'Providers' }).waitFor();
      await card.getByTestId('provider-state').filter({ hasText: 'not configured' }).waitFor();
      const anthropic = page.locator('[data-testid="provider-card"][data-provider="anthropic"]');
      assert.equal(await text(anthropic.getByTestId('provider-state')), 'not configured');
      // What the agent sets: this server's own gateway base URLs.
      assert.equal(await text(page.getByTestId('gateway-url-openai')), `${server.url}/llm/openai/v1`);
      assert.equal(await text(page.getByTestId('gateway-url-anthropic')), `${server.url}/llm/anthropic`);

      const keyField = card.getByLabel('API key', { exact: true });
      assert.equal(await keyField.getAttribute('type'), 'password');
      await keyField.fill(first);
      const put = page.waitForResponse((r) => r.request().method() === 'PUT');
      await card.getByRole('button', { name: 'Save key' }).click();
      const putResponse = await put;
      assert.equal(putResponse.status(), 200);
      assert.ok(!(await putResponse.text()).includes(first), 'the answer does not echo the key');
      await card.getByText(/^OpenAI key saved/).waitFor();
      await card
        .getByTestId('provider-state')
        .filter({ hasText: /^configured$/ })
        .waitFor();
      const hint = await text(card.getByTestId('key-hint'));
      assert.ok(hint.endsWith('1234') && !hint.includes('first-key'), hint);
      assert.equal(await card.getByLabel('New API key').inputValue(), '', 'the field is cleared');
      assert.equal((await stored())?.key_hint, hint);

      // After a reload: the hint, the default base URL, never used — and the key nowhere on the page.
      await page.reload();
      await card.getByTestId('key-hint').waitFor();
      assert.equal(await text(card.getByTestId('key-hint')), hint);
      assert.equal(await text(card.getByTestId('provider-base-url')), 'default (https://api.openai.com/v1)');
      assert.equal(await text(card.getByTestId('provider-last-used')), 'never');
      assert.ok(!(await page.content()).includes(first), 'not in the page');
      const values = await page
        .locator('input')
        .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
      assert.ok(!values.some((v) => v.includes(first)), 'not in any field');

      // Replacing it: the new key's hint.
      await card.getByLabel('New API key').fill(second);
      await card.getByRole('button', { name: 'Replace key' }).click();
      await card.getByTestId('key-hint').filter({ hasText: /wxyz$/ }).waitFor();
      assert.equal((await stored())?.key_hint, await text(card.getByTestId('key-hint')));
      assert.equal(await card.getByLabel('New API key').inputValue(), '');

      // Deleting it, after the confirm step.
      await card.getByRole('button', { name: 'Delete OpenAI key' }).click();
      const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
      await card.getByRole('button', { name: 'Confirm delete OpenAI key' }).click();
      assert.equal((await deleted).status(), 204);
      await card.getByTestId('provider-state').filter({ hasText: 'not configured' }).waitFor();
      assert.equal(await card.getByTestId('key-hint').count(), 0);
      assert.equal(await stored(), undefined);
    } finally {
      page.off('request', watch);
    }
    assert.deepEqual(carriers, [
      `PUT ${server.url}/v1/providers/openai`,
      `PUT ${server.url}/v1/providers/openai`,
    ]);
  });

  test('providers: a key the API refuses shows the API’s own message, and nothing is stored', async () => {
    const card = page.locator('[data-testid="provider-card"][data-provider="anthropic"]');
    await page.goto(`${server.url}/#/providers`);
    await card.getByTestId('provider-state').filter({ hasText: 'not configured' }).waitFor();
    // A loopback upstream over http: refused unless SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS=1 (not set here).
    const body = { api_key: 'sk-ant-dashboard-browser-test-refused', base_url: 'http://127.0.0.1:9/' };
    const direct = await api(server.url, '/v1/providers/anthropic', {
      key: tenant.adminKey,
      method: 'PUT',
      body,
    });
    assert.equal(direct.status, 400, JSON.stringify(direct.body));
    const problemsBefore = pageProblems.length;
    await card.getByLabel('API key', { exact: true }).fill(body.api_key);
    await card.getByLabel('Base URL (optional)').fill(body.base_url);
    const put = page.waitForResponse((r) => r.request().method() === 'PUT');
    await card.getByRole('button', { name: 'Save key' }).click();
    assert.equal((await put).status(), 400);
    const alert = card.getByRole('alert');
    await alert.waitFor();
    assert.ok((await text(alert)).startsWith(direct.body.error.message), await text(alert));
    // The refusal was the point: it is not one of the page's problems.
    assert.deepEqual(pageProblems.splice(problemsBefore), [`PUT ${server.url}/v1/providers/anthropic → 400`]);
    assert.equal(
      await card.getByLabel('API key', { exact: true }).inputValue(),
      '',
      'cleared: enter it again',
    );
    assert.equal(
      await card.getByLabel('Base URL (optional)').inputValue(),
      body.base_url,
      'kept to correct it',
    );
    assert.equal(await text(card.getByTestId('provider-state')), 'not configured');
  });

  test('a call through the gateway, its key set on the Providers page, shows in the feed tagged "gateway"', async () => {
    // Its own server, allowed to call the local stand-in for OpenAI (a loopback upstream).
    const upstream = await startLLMUpstream();
    const gw = await startTestServer({ env: { SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: '1' } });
    const own = await browser.newContext();
    try {
      const who = await signupAndAdminKey(gw.url);
      const p = await newPage(1280, own);
      await logIn(p, who, gw.url);
      await p.goto(`${gw.url}/#/providers`);
      const card = p.locator('[data-testid="provider-card"][data-provider="openai"]');
      const providerKey = 'sk-dashboard-browser-test-gateway-9876';
      await card.getByLabel('API key', { exact: true }).fill(providerKey);
      await card.getByLabel('Base URL (optional)').fill(`${upstream.url}/v1`);
      await card.getByRole('button', { name: 'Save key' }).click();
      await card
        .getByTestId('provider-base-url')
        .filter({ hasText: `${upstream.url}/v1` })
        .waitFor();
      assert.equal(await text(card.getByTestId('provider-last-used')), 'never');

      // The agent, as the page's box says: the gateway's base URL and its own ingest key.
      const created = await api(gw.url, '/v1/agents', { key: who.adminKey, body: { name: 'gw-bot' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const ingest = await api(gw.url, '/v1/api-keys', {
        key: who.adminKey,
        body: { name: 'gw-bot key', kind: 'ingest', agent: 'gw-bot' },
      });
      assert.equal(ingest.status, 201, JSON.stringify(ingest.body));
      const baseURL = await text(p.getByTestId('gateway-url-openai'));
      assert.equal(baseURL, `${gw.url}/llm/openai/v1`);
      const call = await fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ingest.body.key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Capital of France?' }],
          max_tokens: 50,
        }),
      });
      assert.equal(call.status, 200, await call.text());
      // The provider got the key set on the page, never the agent's.
      assert.equal(upstream.requests.at(-1)?.headers.authorization, `Bearer ${providerKey}`);

      const events = await api(gw.url, '/v1/events?agent=gw-bot', { key: who.adminKey });
      const event = events.body.data[0];
      assert.equal(event?.metadata?.gateway, true, JSON.stringify(event));
      await p.goto(`${gw.url}/#/agents/gw-bot`);
      const row = p.getByTestId('event-row').first();
      await row.getByTestId('gateway-tag').waitFor();
      assert.equal(
        await row.getByTestId('gateway-tag').getAttribute('title'),
        `Called openai through the gateway · ${event.metadata.provider_request_id}`,
      );
      const usage = await text(row.getByTestId('event-usage'));
      assert.ok(usage.startsWith(`${event.usage.model} · `), usage);
      assert.ok(usage.endsWith(`/ ${event.usage.output_tokens.toLocaleString('en-US')} out`), usage);
      assert.match(await text(row), new RegExp(formatUsd(event.cost_micros).replace(/[$.]/g, '\\$&')));
      // The providers page now says when the key was last used (the gateway writes it, at most once a minute).
      let lastUsed: string | null = null;
      for (let i = 0; i < 30 && !lastUsed; i += 1) {
        const listed = await api(gw.url, '/v1/providers', { key: who.adminKey });
        lastUsed = listed.body.data.find((c: { provider: string }) => c.provider === 'openai')?.last_used_at;
        if (!lastUsed) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(lastUsed, 'last_used_at written after the call');
      await p.goto(`${gw.url}/#/providers`);
      const local = await p.evaluate((iso) => new Date(iso).toLocaleString(), lastUsed);
      await card.getByTestId('provider-last-used').filter({ hasText: local }).waitFor();

      // An event given a cost is not tagged.
      await p.goto(`${gw.url}/#/agents/gw-bot`);
      await row.getByTestId('gateway-tag').waitFor();
      const given = await api(gw.url, '/v1/events', {
        key: who.adminKey,
        headers: { 'Idempotency-Key': `browser-test-gw-${Date.now()}` },
        body: { agent: 'gw-bot', cost_usd: '0.01' },
      });
      assert.equal(given.status, 201, JSON.stringify(given.body));
      await p.getByTestId('event-row').nth(1).waitFor();
      assert.equal(await p.getByTestId('gateway-tag').count(), 1);
    } finally {
      await own.close();
      await gw.close();
      await upstream.close();
    }
  });

  test('the API keys page pages past the first 50 keys', async () => {
    for (let i = 0; i < 55; i += 1) {
      const made = await api(server.url, '/v1/api-keys', {
        key: tenant.adminKey,
        body: { name: `bulk ${i}`, kind: 'ingest' },
      });
      assert.equal(made.status, 201);
    }
    let total = 0;
    let cursor: string | null = null;
    do {
      const listed: { body: { data: unknown[]; next_cursor: string | null } } = await api(
        server.url,
        `/v1/api-keys?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { key: tenant.adminKey },
      );
      total += listed.body.data.length;
      cursor = listed.body.next_cursor;
    } while (cursor);
    assert.ok(total > 50);
    await page.goto(`${server.url}/#/keys`);
    const rows = page.locator('[data-testid="keys-table"] tbody tr');
    await rows.nth(49).waitFor();
    assert.equal(await rows.count(), 50);
    await page.getByRole('button', { name: 'More keys' }).click();
    await rows.nth(total - 1).waitFor();
    assert.equal(await rows.count(), total);
    await page.getByRole('button', { name: 'More keys' }).waitFor({ state: 'detached' });
  });

  test('a suspension says which limit and when it lifts; a bar is red from 95 %; raising the limit lifts it', async () => {
    const created = await api(server.url, '/v1/agents', {
      key: tenant.adminKey,
      body: { name: 'daily', limits: { day_usd: '0.50' } },
    });
    assert.equal(created.status, 201);
    assert.equal((await postEvent({ agent: 'daily', cost_usd: '0.48' })).status, 201);
    await page.goto(`${server.url}/#/agents/daily`);
    await page.getByTestId('agent-title').filter({ hasText: 'daily' }).waitFor();
    // 96 % of the day: red, not amber (the report: 98 % stayed amber).
    await page.locator('[aria-label="Today: 96% of limit used"].bar-full').waitFor({ timeout: 2000 });
    assert.equal((await postEvent({ agent: 'daily', cost_usd: '0.10' })).status, 403);
    const notice = page.getByTestId('suspension-notice');
    await notice.waitFor({ timeout: 2000 });
    const midnight = new Date(
      Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1),
    );
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const when = `${months[midnight.getUTCMonth()]} ${midnight.getUTCDate()}, 00:00 UTC`;
    assert.match(
      await text(notice),
      new RegExp(`Day limit \\$0\\.50 reached — resumes ${when} \\(in \\d+ (h|min)\\)`),
    );
    // Raising the day limit lifts the suspension at once: no Resume needed.
    await page.getByLabel('Day limit (USD)').fill('2');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Limits saved.').waitFor();
    await page.getByTestId('agent-status').filter({ hasText: 'active' }).waitFor({ timeout: 2000 });
    assert.equal(await page.getByTestId('suspension-notice').count(), 0);
    assert.equal((await postEvent({ agent: 'daily', cost_usd: '0.10' })).status, 201);
  });

  test('the agents page shows the default limit, marks auto-created agents, and lists recent declines live', async () => {
    await page.goto(`${server.url}/#/agents`);
    await page.getByTestId('agent-defaults').filter({ hasText: 'a $10.00 monthly limit' }).waitFor();
    // alpha was created by its first event, limited by a person.
    await row('alpha').getByTestId('auto-created').waitFor();
    assert.equal(await row('limited').getByTestId('auto-created').count(), 0);
    const declines = page.getByTestId('recent-declines');
    const declined = await postEvent({ agent: 'beta', cost_usd: '25' });
    assert.equal(declined.status, 403, 'over the 10 USD default of an auto-created agent');
    await declines.getByTestId('event-row').filter({ hasText: 'beta' }).first().waitFor({ timeout: 2000 });
    assert.match(await text(declines.getByTestId('event-row').first()), /\$25\.00.*budget_exceeded.*beta/);
  });

  test('archiving an agent from its page takes it off the list; the archived view restores it', async () => {
    assert.equal((await postEvent({ agent: 'typo_bot', cost_usd: '0.01' })).status, 201);
    await page.goto(`${server.url}/#/agents/typo_bot`);
    await page.getByTestId('archive-agent').click();
    await page.getByTestId('archive-agent-confirm').click();
    await page.getByRole('heading', { name: 'Agents' }).waitFor();
    await row('alpha').waitFor();
    assert.equal(await row('typo_bot').count(), 0);
    assert.equal((await postEvent({ agent: 'typo_bot', cost_usd: '0.01' })).status, 404);
    await page.getByTestId('show-archived').check();
    await row('typo_bot').waitFor();
    await row('typo_bot').getByRole('button', { name: 'Restore agent typo_bot' }).click();
    await row('typo_bot').waitFor({ state: 'detached' });
    await page.getByTestId('show-live').check();
    await row('typo_bot').waitFor();
    assert.equal((await postEvent({ agent: 'typo_bot', cost_usd: '0.01' })).status, 201);
  });

  test('screenshots with realistic data, and every main page usable at 360 px', async () => {
    mkdirSync(screenshotDir, { recursive: true });
    // Its own account, named like a real one, so the README's pictures show what a user would see.
    const acme = await signupAndAdminKey(server.url, {
      email: 'maya@acme-robotics.example',
      company: 'Acme Robotics',
    });
    const agent = async (name: string, limits: Record<string, unknown>) => {
      const res = await api(server.url, '/v1/agents', { key: acme.adminKey, body: { name, limits } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    };
    const spend = async (body: Record<string, unknown>, status = 201) =>
      assert.equal((await postEvent(body, acme.adminKey)).status, status, JSON.stringify(body));
    await agent('research-bot', {
      month_usd: '50',
      day_usd: '5',
      run_usd: '2',
      velocity: { window_seconds: 60, max_usd: '3' },
    });
    for (const [cost, model, tokens] of [
      ['0.0123', 'gpt-4o-mini', 1834],
      ['0.42', 'gpt-4o', 9120],
      ['1.2575', 'claude-sonnet-4', 30211],
    ] as const) {
      await spend({ agent: 'research-bot', run: 'task-8812', cost_usd: cost, metadata: { model, tokens } });
    }
    await spend({ agent: 'research-bot', run: 'task-8812', cost_usd: '0.5' }, 403);
    const held = await api(server.url, '/v1/reservations', {
      key: acme.adminKey,
      headers: { 'Idempotency-Key': `browser-test-hold-${Date.now()}` },
      body: { agent: 'research-bot', amount_usd: '0.25', ttl_seconds: 600 },
    });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    await agent('support-triage', { month_usd: '20', day_usd: '1' });
    await spend({
      agent: 'support-triage',
      cost_usd: '0.97',
      metadata: { model: 'gpt-4o-mini', tickets: 41 },
    });
    await agent('summarizer', { month_usd: '30', day_usd: '0.50' });
    await spend({ agent: 'summarizer', cost_usd: '0.45', metadata: { model: 'claude-haiku-4' } });
    await spend({ agent: 'summarizer', cost_usd: '0.10', metadata: { model: 'claude-haiku-4' } }, 403);
    // Created by its first event: marked auto-created, under the 10 USD default.
    await spend({ agent: 'nightly-etl', cost_usd: '2.40', metadata: { model: 'gpt-4o', rows: 120000 } });

    const shots = await browser.newContext();
    try {
      const p = await newPage(1280, shots);
      await logIn(p, acme);
      await p
        .locator('[data-testid="agent-row"][data-agent="summarizer"] [data-testid="suspension-text"]')
        .waitFor();
      await p.getByTestId('recent-declines').getByTestId('event-row').first().waitFor();
      await p.screenshot({ path: join(screenshotDir, 'agents.png'), fullPage: true });
      await p.goto(`${server.url}/#/agents/research-bot`);
      await p.getByTestId('event-row').first().waitFor();
      // The open reservation is listed with its exact amount.
      const holds = p.getByTestId('reservations-table');
      await holds.filter({ hasText: held.body.reservation.id }).waitFor();
      assert.equal(await text(holds.getByTestId('held-amount')), '$0.25');
      await p.screenshot({ path: join(screenshotDir, 'agent-detail.png'), fullPage: true });

      const narrow = await newPage(360, shots);
      for (const [hash, file] of [
        ['#/agents', 'agents-360.png'],
        ['#/agents/research-bot', 'agent-detail-360.png'],
        ['#/agents/summarizer', null],
        ['#/keys', null],
        ['#/settings', null],
        ['#/providers', null],
        ['#/audit', null],
      ] as const) {
        await narrow.goto(`${server.url}/${hash}`);
        await narrow.locator('main h1').first().waitFor();
        if (hash === '#/agents') await narrow.locator('[data-testid="agent-row"]').first().waitFor();
        if (hash.startsWith('#/agents/')) await narrow.getByTestId('event-row').first().waitFor();
        const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(overflow <= 360, `${hash} is ${overflow} px wide at a 360 px viewport`);
        if (file) await narrow.screenshot({ path: join(screenshotDir, file), fullPage: true });
      }
    } finally {
      await shots.close();
    }
  });

  test('the kill switch is reachable by keyboard at 360 px', async () => {
    const narrow = await newPage(360);
    await narrow.goto(`${server.url}/#/agents`);
    const killSwitch = narrow.locator('[data-agent="gamma"] [data-testid="kill-switch"]');
    await killSwitch.focus();
    await narrow.keyboard.press('Enter');
    // Focus moves to the confirm button, so a second Enter confirms.
    await narrow.waitForFunction(
      () => document.activeElement?.getAttribute('data-testid') === 'kill-confirm',
      null,
      { timeout: 1000 },
    );
    await narrow.keyboard.press('Enter');
    await narrow
      .locator('[data-agent="gamma"] [data-testid="agent-status"]')
      .filter({ hasText: 'suspended' })
      .waitFor({ timeout: 2000 });
  });

  test('a new instance opens on Sign up; with SPENDGUARD_SIGNUP=closed a second visitor finds it closed', async () => {
    const fresh = await startTestServer({ embedded: true, env: { SPENDGUARD_SIGNUP: 'closed' } });
    const visitor = await browser.newContext();
    try {
      const p = await newPage(1280, visitor);
      await p.goto(`${fresh.url}/`);
      await p.getByRole('heading', { name: 'Create your account' }).waitFor();
      await p.getByTestId('first-user').waitFor();
      await p.getByLabel('Email').fill('owner@acme-robotics.example');
      await p.getByLabel('Password').fill('a long enough password');
      await p.getByLabel('Company').fill('Acme Robotics');
      await p.getByRole('button', { name: 'Sign up' }).click();
      await p.getByRole('heading', { name: 'Agents' }).waitFor();
      await p.getByRole('button', { name: 'Log out' }).click();
      await p.getByRole('button', { name: 'Log in' }).waitFor();
      assert.equal(await p.getByRole('link', { name: 'Create an account' }).count(), 0, 'no sign-up link');
      await p.goto(`${fresh.url}/#/signup`);
      await p.getByTestId('signup-closed').waitFor();
      assert.equal(await p.getByRole('button', { name: 'Sign up' }).isDisabled(), true);
    } finally {
      await visitor.close();
      await fresh.close();
    }
  });

  test('an invite link joins the team as a viewer, who sees everything and no control that changes it', async () => {
    await page.goto(`${server.url}/#/team`);
    await page.getByRole('heading', { name: 'Team' }).waitFor();
    await page.getByLabel('Email').fill('grace@acme-robotics.example');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const link = await page.locator('#invite-url').inputValue();
    assert.match(link, /\/#\/accept-invite\?token=/);

    const guest = await browser.newContext();
    try {
      const p = await newPage(1280, guest);
      await p.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
      await p.getByRole('heading', { name: 'Join your team' }).waitFor();
      await p.getByLabel('Password').fill('another long password');
      await p.getByRole('button', { name: 'Join' }).click();
      await p.getByRole('heading', { name: 'Agents' }).waitFor();
      await p.getByTestId('read-only').waitFor();
      await p.locator('[data-testid="agent-row"][data-agent="alpha"]').waitFor();
      assert.equal(await p.getByTestId('kill-switch').count(), 0, 'no kill switch for a viewer');
      assert.equal(await p.getByRole('button', { name: 'Add agent' }).count(), 0);
      await p.goto(`${server.url}/#/agents/limited`);
      await p.getByTestId('agent-title').filter({ hasText: 'limited' }).waitFor();
      assert.equal(await p.getByLabel('Month limit (USD)').isDisabled(), true, 'limits are read-only');
      assert.equal(await p.getByTestId('archive-agent').count(), 0);
      await p.goto(`${server.url}/#/providers`);
      await p.locator('[data-testid="provider-card"][data-provider="openai"]').waitFor();
      assert.equal(await p.locator('input[type="password"]').count(), 0, 'no key field for a viewer');
      assert.equal(await p.getByRole('button', { name: /key$/ }).count(), 0, 'no save, replace or delete');
      await p.goto(`${server.url}/#/team`);
      await p.locator('[data-testid="user-row"][data-email="grace@acme-robotics.example"]').waitFor();
      assert.equal(await p.getByRole('button', { name: 'Create invite link' }).count(), 0);
      assert.equal(await p.getByRole('button', { name: /^Remove / }).count(), 0);
    } finally {
      await guest.close();
    }
    // The owner sees the new member and may remove them.
    await page.reload();
    const member = page.locator('[data-testid="user-row"][data-email="grace@acme-robotics.example"]');
    await member.getByRole('button', { name: 'Remove grace@acme-robotics.example' }).click();
    await member.getByRole('button', { name: 'Confirm remove grace@acme-robotics.example' }).click();
    await member.waitFor({ state: 'detached' });
  });

  test('signing up in the dashboard starts an empty account; logging out ends the session', async () => {
    const fresh = await browser.newContext();
    const p = await fresh.newPage();
    p.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
    await p.goto(`${server.url}/#/signup`);
    await p.getByLabel('Email').fill(`ui-${Date.now()}@example.test`);
    await p.getByLabel('Password').fill('a long enough password');
    await p.getByLabel('Company').fill('<b>Bold</b> Inc');
    await p.getByRole('button', { name: 'Sign up' }).click();
    await p.getByRole('heading', { name: 'Agents' }).waitFor();
    await p.getByText('No agents yet.').waitFor();
    await p.getByRole('button', { name: 'Log out' }).click();
    await p.getByRole('button', { name: 'Log in' }).waitFor();
    const me = await p.evaluate(async () => (await fetch('/v1/auth/me')).status);
    assert.equal(me, 401);
    await fresh.close();
  });

  test('when the session has ended, a refused stream leads back to the login page', async () => {
    const other = await browser.newContext();
    const p = await other.newPage(); // no problem listeners: the refused stream logs errors on purpose
    await p.goto(`${server.url}/#/login`);
    await p.getByLabel('Email').fill(tenant.email);
    await p.getByLabel('Password').fill(tenant.password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p
      .getByTestId('live-status')
      .filter({ hasText: /^live$/ })
      .waitFor({ timeout: 5000 });
    // End this browser's session from outside (as an expiry would), then drop its stream.
    const cookie = (await other.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const me = await api(server.url, '/v1/auth/me', { cookie });
    const out = await api(server.url, '/v1/auth/logout', { cookie, csrf: me.body.csrf_token, body: {} });
    assert.equal(out.status, 204);
    server.app.server.closeAllConnections();
    await p.getByRole('button', { name: 'Log in' }).waitFor({ timeout: 15_000 });
    await other.close();
  });

  test('no console errors or CSP violations on any page', () => {
    assert.deepEqual(pageProblems, []);
  });
});
