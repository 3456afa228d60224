// The gateway's hold estimate (gateway/estimate.ts) follows the same rule as the SDK's guarded clients
// (packages/sdk/src/guard/tokens.ts): the text the model reads, bounded by its UTF-8 bytes, plus per-message, per-request
// and per-media overheads. The two are separate code (the server does not import the SDK); this test holds them to one
// answer, and to the bound itself: never fewer tokens than a real tokenizer counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens } from 'gpt-tokenizer';
import { estimateInputTokens, utf8Bytes } from '../../../../packages/sdk/src/guard/tokens.js';
import { anthropicMessages } from '../../src/gateway/endpoints/anthropic-messages.js';
import { openAIChat } from '../../src/gateway/endpoints/openai-chat.js';
import { openAIResponses } from '../../src/gateway/endpoints/openai-responses.js';
import { countPromptTokens, inputTokensUpperBound, promptText } from '../../src/gateway/estimate.js';

const chat = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are terse. Réponds en français — 日本語も可。' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture? 🙂' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(50_000)}` } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
  ],
  tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }],
};

describe('gateway hold estimate', () => {
  it('matches the SDK’s rule for the same chat request', () => {
    const parts = openAIChat.prompt(chat);
    const sdk = estimateInputTokens(
      { prompt: chat.messages, messages: chat.messages.length, definitions: [chat.tools] },
      chat.model,
      utf8Bytes,
    );
    assert.equal(inputTokensUpperBound(parts), sdk);
  });

  it('counts a base64 image as one media part, not as its text', () => {
    const { text, media } = promptText(openAIChat.prompt(chat));
    assert.equal(media, 1);
    assert.ok(!text.includes('AAAA'));
  });

  it('is never below a real tokenizer’s count, for every endpoint', () => {
    const bodies: Array<[typeof openAIChat, Record<string, unknown>]> = [
      [openAIChat, chat],
      [
        openAIResponses,
        {
          model: 'gpt-4o',
          instructions: 'Be brief.',
          input: 'Ünïcödé and emoji 🚀 text, twice. '.repeat(40),
        },
      ],
      [
        anthropicMessages,
        {
          model: 'claude-sonnet-4-5',
          system: 'Be brief.',
          messages: [{ role: 'user', content: 'Hallo Welt! '.repeat(50) }],
          max_tokens: 10,
        },
      ],
    ];
    for (const [endpoint, body] of bodies) {
      const parts = endpoint.prompt(body);
      const bound = inputTokensUpperBound(parts);
      assert.ok(
        bound >= countPromptTokens(parts, countTokens),
        `${endpoint.upstreamPath}: ${bound} < tokenizer count`,
      );
      assert.ok(bound >= countTokens(promptText(parts).text));
    }
  });

  it('reads each endpoint’s own output limit; none → the customer default', () => {
    assert.equal(openAIChat.maxOutputTokens({ max_completion_tokens: 300, max_tokens: 100 }), 300);
    assert.equal(openAIChat.maxOutputTokens({ max_tokens: 100, n: 3 }), 300, 'n choices generate n times');
    assert.equal(openAIChat.maxOutputTokens({}), null);
    assert.equal(openAIResponses.maxOutputTokens({ max_output_tokens: 50 }), 50);
    assert.equal(anthropicMessages.maxOutputTokens({ max_tokens: 1024 }), 1024);
  });
});
