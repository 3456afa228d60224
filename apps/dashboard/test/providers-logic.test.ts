// The providers page (lib/providers.ts): what it shows for a credential, what it sends for what was typed, and how a
// gateway call is told apart in the event feed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  baseUrlText,
  customBaseUrl,
  gatewayBaseUrl,
  gatewayTitle,
  isGatewayEvent,
  lastUsedText,
  PROVIDERS,
  providerPath,
  providerPut,
  providerRows,
} from '../src/lib/providers';
import { href, parseRoute } from '../src/lib/router';
import { formatTime } from '../src/lib/time';
import type { ProviderCredential } from '../src/lib/types';

const [openai, anthropic] = PROVIDERS;
assert.ok(openai && anthropic);

function credential(over: Partial<ProviderCredential> = {}): ProviderCredential {
  return {
    provider: 'openai',
    base_url: 'https://api.openai.com/v1',
    key_hint: 'sk-…abcd',
    created_at: '2026-12-01T09:00:00.000Z',
    updated_at: '2026-12-02T10:00:00.000Z',
    last_used_at: null,
    ...over,
  };
}

test('both providers are listed in a fixed order, configured or not, whatever the API’s order', () => {
  assert.deepEqual(
    providerRows([]).map((r) => [r.info.id, r.credential]),
    [
      ['openai', null],
      ['anthropic', null],
    ],
  );
  const claude = credential({ provider: 'anthropic', key_hint: 'sk-ant-…wxyz' });
  const rows = providerRows([claude]);
  assert.deepEqual(
    rows.map((r) => [r.info.id, r.credential?.key_hint ?? null]),
    [
      ['openai', null],
      ['anthropic', 'sk-ant-…wxyz'],
    ],
  );
});

test('the base URL reads "default" with the public API for that URL (slash or not), else the URL of its own', () => {
  assert.equal(baseUrlText(openai, credential()), 'default (https://api.openai.com/v1)');
  assert.equal(baseUrlText(openai, null), 'default (https://api.openai.com/v1)');
  assert.equal(
    baseUrlText(openai, credential({ base_url: 'https://api.openai.com/v1/' })),
    'default (https://api.openai.com/v1)',
  );
  assert.equal(
    baseUrlText(anthropic, credential({ provider: 'anthropic', base_url: 'https://api.anthropic.com/' })),
    'default (https://api.anthropic.com)',
  );
  const local = credential({ base_url: 'http://127.0.0.1:11434/v1' });
  assert.equal(baseUrlText(openai, local), 'http://127.0.0.1:11434/v1');
  // The replace form starts from the URL in force, so a new key does not silently drop it; the default stays empty.
  assert.equal(customBaseUrl(openai, local), 'http://127.0.0.1:11434/v1');
  assert.equal(customBaseUrl(openai, credential({ base_url: 'https://api.openai.com/v1' })), '');
});

test('"never" until the key is first used, then the local time', () => {
  assert.equal(lastUsedText(null), 'never');
  assert.equal(lastUsedText(undefined), 'never');
  assert.equal(lastUsedText('2026-12-02T10:00:00.000Z'), formatTime('2026-12-02T10:00:00.000Z'));
});

test('the PUT body: the key trimmed, the base URL only when given', () => {
  assert.deepEqual(providerPut('  sk-test-1234abcd\n', ''), {
    ok: true,
    body: { api_key: 'sk-test-1234abcd' },
  });
  assert.deepEqual(providerPut('sk-test-1234abcd', ' https://llm.example.com/v1 '), {
    ok: true,
    body: { api_key: 'sk-test-1234abcd', base_url: 'https://llm.example.com/v1' },
  });
  // http goes to the server, which accepts it only with SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS=1 and says so otherwise.
  assert.equal(providerPut('k', 'http://127.0.0.1:8080/v1').ok, true);
  assert.deepEqual(providerPut('   ', ''), { ok: false, error: 'API key: required.' });
  assert.equal(providerPut('sk-one sk-two', '').ok, false);
  for (const bad of ['api.openai.com/v1', 'ftp://x.example', 'https://']) {
    assert.equal(providerPut('k', bad).ok, false, bad);
  }
});

test('paths and the gateway base URLs agents set', () => {
  assert.equal(providerPath('openai'), '/v1/providers/openai');
  assert.equal(providerPath('anthropic'), '/v1/providers/anthropic');
  assert.equal(gatewayBaseUrl('https://sg.example.com', openai), 'https://sg.example.com/llm/openai/v1');
  assert.equal(gatewayBaseUrl('http://127.0.0.1:8787/', anthropic), 'http://127.0.0.1:8787/llm/anthropic');
});

test('a gateway event is one whose metadata says gateway: true, nothing looser', () => {
  const gateway = {
    metadata: {
      gateway: true,
      provider: 'openai',
      model: 'gpt-4o-mini',
      provider_request_id: 'chatcmpl-123',
    },
  };
  assert.equal(isGatewayEvent(gateway), true);
  assert.equal(gatewayTitle(gateway), 'Called openai through the gateway · chatcmpl-123');
  assert.equal(isGatewayEvent({ metadata: null }), false);
  assert.equal(isGatewayEvent({ metadata: { gateway: 'true' } }), false);
  assert.equal(isGatewayEvent({ metadata: { model: 'gpt-4o' } }), false);
  assert.equal(gatewayTitle({ metadata: { gateway: true } }), 'Gateway call');
});

test('#/providers routes to the providers page and back', () => {
  assert.deepEqual(parseRoute('#/providers'), { page: 'providers' });
  assert.equal(href({ page: 'providers' }), '#/providers');
});
