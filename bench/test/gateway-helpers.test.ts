// The gateway phase's pure helpers: reading a received chat stream, the committed-cost ledger, the added latency,
// and the server's Prometheus histograms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { added, GatewayLedger, wordsOf } from '../src/gateway-ledger.js';
import { histogramDelta, histogramState, parsePrometheus } from '../src/server-metrics.js';
import { checkChatStream, fullyReceived } from '../src/sse-check.js';

const chunk = (content: string | null, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    choices: content === null ? [] : [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
  })}\n\n`;

describe('checkChatStream', () => {
  it('counts the content chunks of a whole stream and its [DONE]', () => {
    const body = `${chunk('')}${chunk('Hello ')}${chunk('world.')}data: [DONE]\n\n`;
    const check = checkChatStream(body);
    assert.deepEqual(check, {
      frames: 4,
      contentChunks: 2,
      text: 'Hello world.',
      done: true,
      error: null,
      usageChunk: false,
      malformed: 0,
    });
    assert.equal(fullyReceived(check, 'Hello world.'), true);
    assert.equal(fullyReceived(check, 'Hello'), false);
  });

  it('reads CRLF frames, a usage-only chunk, an error frame and a cut stream', () => {
    const usage = checkChatStream(
      `${chunk('a')}${chunk(null, { usage: { prompt_tokens: 1 } })}data: [DONE]\n\n`.replaceAll('\n', '\r\n'),
    );
    assert.equal(usage.usageChunk, true);
    assert.equal(usage.done, true);
    const error = checkChatStream(
      `${chunk('a')}data: ${JSON.stringify({ error: { type: 'spendguard_error', code: 'agent_suspended' } })}\n\n`,
    );
    assert.equal(error.error, 'agent_suspended');
    assert.equal(fullyReceived(error, 'a'), false);
    const cut = checkChatStream(`${chunk('a')}data: {"id":`);
    assert.equal(cut.done, false);
    assert.equal(cut.malformed, 1);
  });
});

describe('GatewayLedger', () => {
  it('adds answered costs per agent and counts answers without a cost header', () => {
    const ledger = new GatewayLedger();
    ledger.recordAnswer('a', '97');
    ledger.recordAnswer('a', '3');
    ledger.recordAnswer('a', undefined);
    ledger.recordAnswer('a', 'x');
    ledger.record('b', 102);
    assert.deepEqual(Object.fromEntries(ledger.perAgent), {
      a: { calls: 2, micros: 100 },
      b: { calls: 1, micros: 102 },
    });
    assert.equal(ledger.missingCost, 2);
    assert.equal(ledger.calls, 3);
  });
});

describe('added', () => {
  it('subtracts percentile by percentile', () => {
    assert.deepEqual(added({ p50: 1.2, p90: 2, p99: 5.5 }, { p50: 2.5, p90: 3, p99: 9 }), {
      p50: 1.3,
      p90: 1,
      p99: 3.5,
    });
  });

  it('splits text into the chunks the simulator streams', () => {
    assert.deepEqual(wordsOf('The capital  of France.'), ['The ', 'capital  ', 'of ', 'France.']);
  });
});

describe('Prometheus histograms', () => {
  const text = (n: number, sum: number) => `# HELP h help
# TYPE h histogram
h_bucket{le="0.002",provider="openai",phase="response"} ${n / 2}
h_bucket{le="0.01",provider="openai",phase="response"} ${n}
h_bucket{le="+Inf",provider="openai",phase="response"} ${n}
h_sum{provider="openai",phase="response"} ${sum}
h_count{provider="openai",phase="response"} ${n}
h_count{provider="openai",phase="first_byte"} 7
`;

  it('parses samples with labels', () => {
    const samples = parsePrometheus('a 1\nb{x="1",y="a \\"q\\""} 2.5\n# comment\n');
    assert.deepEqual(samples, [
      { name: 'a', labels: {}, value: 1 },
      { name: 'b', labels: { x: '1', y: 'a "q"' }, value: 2.5 },
    ]);
  });

  it('gives the mean and the share under each bound between two readings', () => {
    const before = histogramState(parsePrometheus(text(10, 0.01)), 'h', { phase: 'response' });
    const after = histogramState(parsePrometheus(text(110, 0.31)), 'h', { phase: 'response' });
    assert.equal(after.count, 110);
    const delta = histogramDelta(before, after);
    assert.equal(delta.count, 100);
    assert.equal(delta.meanMs, 3);
    assert.deepEqual(delta.percentAtOrBelow, { '2 ms': 50, '10 ms': 100 });
  });
});
