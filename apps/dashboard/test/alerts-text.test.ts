// The agents page's alert lines (lib/alerts.ts), from the data the webhooks carry (docs/api.md §13).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertText } from '../src/lib/alerts';
import type { Alert } from '../src/lib/types';

const alert = (type: string, data: unknown): Alert => ({
  id: 'whevt_1',
  type,
  created_at: '2026-12-07T00:00:00Z',
  data,
});

test('a threshold names the agent (or the company), the percentage, the period and exact amounts', () => {
  assert.equal(
    alertText(
      alert('budget.threshold', {
        scope: 'agent',
        agent: 'research-bot',
        period: 'month',
        threshold_percent: 80,
        limit_micros: 50_000_000,
        spent_micros: 40_000_123,
      }),
    ),
    'research-bot reached 80 % of its month limit: $40.000123 of $50.00',
  );
  assert.equal(
    alertText(
      alert('budget.threshold', {
        scope: 'customer',
        period: 'day',
        threshold_percent: 100,
        limit_micros: 1_000_000,
        spent_micros: 1_000_000,
      }),
    ),
    'The company reached 100 % of its day limit: $1.00 of $1.00',
  );
});

test('a suspension says who and why; a resume who', () => {
  assert.equal(
    alertText(
      alert('agent.suspended', {
        agent: { name: 'summarizer' },
        reason: 'budget_exceeded',
        actor: { type: 'system' },
      }),
    ),
    'summarizer was suspended by Spendguard (a budget was exceeded)',
  );
  assert.equal(
    alertText(
      alert('agent.resumed', { agent: { name: 'summarizer' }, actor: { type: 'user', id: 'usr_1' } }),
    ),
    'summarizer was resumed by a person',
  );
  assert.equal(alertText(alert('something.new', {})), 'something.new');
});
