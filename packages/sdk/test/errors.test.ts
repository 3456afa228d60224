import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AgentSuspendedError,
  AuthenticationError,
  BudgetExceededError,
  ConflictError,
  errorFromResponse,
  IdempotencyError,
  LoopDetectedError,
  NotFoundError,
  PermissionError,
  RateLimitedError,
  SpendguardError,
  UnavailableError,
  ValidationError,
} from '../src/index.js';

const envelope = (code: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message: `message for ${code}`, ...extra },
});

function map(status: number, body: unknown, retryAfter: number | null = null) {
  return errorFromResponse({ status, body, requestId: 'req_42', retryAfter });
}

describe('errorFromResponse', () => {
  it('maps agent_suspended with reason and suspendedAt', () => {
    const error = map(
      403,
      envelope('agent_suspended', { reason: 'manual', suspended_at: '2026-11-25T10:00:00Z' }),
    );
    assert.ok(error instanceof AgentSuspendedError);
    assert.ok(error instanceof SpendguardError);
    assert.ok(error instanceof Error);
    assert.equal(error.reason, 'manual');
    assert.equal(error.suspendedAt, '2026-11-25T10:00:00Z');
    assert.equal(error.status, 403);
    assert.equal(error.code, 'agent_suspended');
    assert.equal(error.requestId, 'req_42');
    assert.equal(error.message, 'message for agent_suspended');
    assert.equal(error.name, 'AgentSuspendedError');
  });

  it('maps budget_exceeded with scope, period, limit, spend and reset time', () => {
    const error = map(
      403,
      envelope('budget_exceeded', {
        scope: 'agent',
        period: 'month',
        limit_micros: 1_000_000,
        spent_micros: 990_000,
        resets_at: '2026-12-01T00:00:00Z',
      }),
    );
    assert.ok(error instanceof BudgetExceededError);
    assert.ok(error instanceof SpendguardError);
    assert.equal(error.scope, 'agent');
    assert.equal(error.period, 'month');
    assert.equal(error.limitMicros, 1_000_000);
    assert.equal(error.spentMicros, 990_000);
    assert.equal(error.resetsAt, '2026-12-01T00:00:00Z');
  });

  it('keeps a null resets_at (velocity/run periods) as null', () => {
    const error = map(403, envelope('budget_exceeded', { scope: 'agent', period: 'run', resets_at: null }));
    assert.ok(error instanceof BudgetExceededError);
    assert.equal(error.resetsAt, null);
    assert.equal(error.period, 'run');
  });

  it('maps loop_detected with fingerprint, count and window', () => {
    const error = map(403, envelope('loop_detected', { fingerprint: 'ab12', count: 3, window_seconds: 60 }));
    assert.ok(error instanceof LoopDetectedError);
    assert.ok(error instanceof SpendguardError);
    assert.equal(error.code, 'loop_detected');
    assert.equal(error.fingerprint, 'ab12');
    assert.equal(error.count, 3);
    assert.equal(error.windowSeconds, 60);
    assert.equal(error.name, 'LoopDetectedError');
  });

  it('maps an agent suspended for a loop with reason loop_detected', () => {
    const error = map(403, envelope('agent_suspended', { reason: 'loop_detected', suspended_at: null }));
    assert.ok(error instanceof AgentSuspendedError);
    assert.equal(error.reason, 'loop_detected');
  });

  it('maps validation errors with their details', () => {
    const details = [{ field: 'cost_usd', message: 'must be >= 0' }];
    const error = map(400, envelope('invalid_request', { details }));
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(error.details, details);
    const noDetails = map(415, envelope('unsupported_media_type'));
    assert.ok(noDetails instanceof ValidationError);
    assert.deepEqual(noDetails.details, []);
    assert.equal(noDetails.message, 'message for unsupported_media_type');
  });

  it('names the first problem of a validation error in its message, keeping every detail', () => {
    const body = (message: string, details: unknown[]) => ({
      error: { code: 'invalid_request', message, details },
    });
    const two = [
      { field: 'cost_usd', problem: 'must be >= 0' },
      { field: 'agent', problem: 'is required' },
    ];
    const error = map(400, body('The request is invalid.', two));
    assert.ok(error instanceof ValidationError);
    assert.equal(error.message, 'The request is invalid: cost_usd must be >= 0 (+1 more in .details).');
    assert.deepEqual(error.details, two);
    const one = map(
      400,
      body('The request is invalid.', [{ field: 'ttl_seconds', problem: 'must be <= 86400.' }]),
    );
    assert.equal(one.message, 'The request is invalid: ttl_seconds must be <= 86400.');
    // A message that already says it is left alone.
    const said = map(400, body('model is required.', [{ field: 'model', problem: 'is required' }]));
    assert.equal(said.message, 'model is required.');
    // Nothing to add: the server's message as it was.
    assert.equal(map(400, body('The request is invalid.', [])).message, 'The request is invalid.');
    assert.equal(map(400, body('The request is invalid.', ['junk'])).message, 'The request is invalid.');
  });

  it('maps each remaining code to its class', () => {
    const cases: [number, string, new (...args: never[]) => SpendguardError][] = [
      [401, 'unauthenticated', AuthenticationError],
      [403, 'forbidden', PermissionError],
      [403, 'csrf_failed', PermissionError],
      [404, 'not_found', NotFoundError],
      [409, 'idempotency_key_in_flight', IdempotencyError],
      [422, 'idempotency_key_reused', IdempotencyError],
      [429, 'rate_limited', RateLimitedError],
      [503, 'unavailable', UnavailableError],
      [500, 'internal', UnavailableError],
    ];
    for (const [status, code, cls] of cases) {
      const error = map(status, envelope(code));
      assert.ok(error instanceof cls, `${code} → ${error.name}`);
      assert.equal(error.code, code);
      assert.equal(error.status, status);
    }
  });

  it('carries conflict field and Retry-After seconds', () => {
    const conflict = map(409, envelope('conflict', { field: 'name' }));
    assert.ok(conflict instanceof ConflictError);
    assert.equal(conflict.field, 'name');
    const limited = map(429, envelope('rate_limited'), 3);
    assert.ok(limited instanceof RateLimitedError);
    assert.equal(limited.retryAfter, 3);
  });

  it('classifies bodies that are not envelopes by status', () => {
    const gateway = map(502, '<html>Bad Gateway</html>');
    assert.ok(gateway instanceof UnavailableError);
    assert.equal(gateway.code, 'internal');
    assert.equal(gateway.body, null);
    const unknownCode = map(403, envelope('something_new'));
    assert.ok(unknownCode instanceof PermissionError);
    assert.equal(unknownCode.code, 'something_new');
    const teapot = map(418, undefined);
    assert.equal(teapot.constructor, SpendguardError);
    assert.equal(teapot.code, 'http_418');
  });
});
