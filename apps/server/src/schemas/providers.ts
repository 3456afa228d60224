// Wire shapes of the LLM gateway's provider credentials (docs/api.md §12): what an admin stores, and what answers show
// of it — never the key, only its hint.
import { Type } from 'typebox';
import { API_KEY_PATTERN, MAX_API_KEY_LENGTH } from '../gateway/credentials.js';
import { Nullable, ref, Timestamp } from './common.js';

const ProviderName = Type.Union([Type.Literal('openai'), Type.Literal('anthropic')]);

export const ProviderCredentialSchema = Type.Object(
  {
    provider: ProviderName,
    base_url: Type.String({
      description:
        'where the gateway sends this provider’s calls: the stored base_url, or the provider’s public API ' +
        '(https://api.openai.com/v1, https://api.anthropic.com) when none was given',
    }),
    key_hint: Type.String({
      description: 'the first 3 and last 4 characters of the key (sk-…abcd); a key under 12 characters: …yz',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
    last_used_at: Nullable(Timestamp),
  },
  {
    $id: 'ProviderCredential',
    additionalProperties: false,
    description: 'a stored provider credential; the key itself is never returned',
  },
);

export const ProviderCredentialListSchema = Type.Object(
  {
    data: Type.Array(ref(ProviderCredentialSchema), {
      description: 'by provider; at most one credential per provider',
    }),
  },
  { $id: 'ProviderCredentialList', additionalProperties: false },
);

/** Any name is routed; one the gateway does not support is 404 (there is no such provider resource). */
export const ProviderParams = Type.Object({
  provider: Type.String({ maxLength: 64, description: 'openai or anthropic' }),
});

export const PutProviderBody = Type.Object(
  {
    api_key: Type.String({
      minLength: 1,
      maxLength: MAX_API_KEY_LENGTH,
      pattern: API_KEY_PATTERN.source,
      description: `the provider’s API key: 1–${MAX_API_KEY_LENGTH} printable ASCII characters, no spaces; stored encrypted, never returned`,
    }),
    base_url: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 2048,
          description:
            'what the provider’s official client takes as baseURL; missing or null: the provider’s public API. ' +
            'https to a public address, no user name, password, query or fragment (http and private addresses only ' +
            'with SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS=1); a trailing slash is dropped',
        }),
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      { api_key: 'sk-proj-0123456789abcdefghij', base_url: 'https://api.openai.com/v1' },
      { api_key: 'sk-ant-api03-0123456789abcdefghij' },
    ],
  },
);
