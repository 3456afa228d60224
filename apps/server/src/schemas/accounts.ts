// Wire shapes of accounts, sessions and API keys (docs/api.md §3, §8).
import { Type } from 'typebox';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import { Cursor, Limit, Nullable, Page, ref, Timestamp } from './common.js';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'case-insensitive' });

export const SignupBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }),
    company: Type.String({ minLength: 1, maxLength: 200 }),
  },
  {
    additionalProperties: false,
    examples: [{ email: 'ada@example.com', password: 'correct horse battery staple', company: 'Acme' }],
  },
);

// Login accepts any password length: a length rule here would tell an attacker which guesses are pointless.
export const LoginBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: PASSWORD_MAX_LENGTH }) },
  {
    additionalProperties: false,
    examples: [{ email: 'ada@example.com', password: 'correct horse battery staple' }],
  },
);

export const UserSchema = Type.Object(
  { id: Type.String({ description: 'usr_…' }), email: Type.String(), created_at: Timestamp },
  { $id: 'User', additionalProperties: false },
);

export const SessionCustomerSchema = Type.Object(
  { id: Type.String({ description: 'cus_…' }), name: Type.String(), created_at: Timestamp },
  { $id: 'SessionCustomer', additionalProperties: false },
);

export const SessionSchema = Type.Object(
  {
    user: ref(UserSchema),
    customer: ref(SessionCustomerSchema),
    csrf_token: Type.String({ description: 'send as X-CSRF-Token on every cookie-authenticated write' }),
  },
  { $id: 'Session', additionalProperties: false },
);

const KeyKind = Type.Union([Type.Literal('ingest'), Type.Literal('admin')], {
  description: 'ingest: events, reservations, reading agents; admin: the whole management API',
});

const KeyFields = {
  id: Type.String({ description: 'key_…' }),
  name: Type.String(),
  kind: KeyKind,
  agent: Nullable(Type.String({ description: 'the one agent a bound ingest key may act on' })),
  prefix: Type.String({ description: 'first characters of the key, e.g. sg_ingest_ab12' }),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
};

export const ApiKeySchema = Type.Object(KeyFields, { $id: 'ApiKey', additionalProperties: false });

export const CreatedApiKeySchema = Type.Object(
  { ...KeyFields, key: Type.String({ description: 'the secret; shown only in this response' }) },
  { $id: 'CreatedApiKey', additionalProperties: false },
);

export const ApiKeyPageSchema = Type.Object(Page(ref(ApiKeySchema)).properties, {
  $id: 'ApiKeyPage',
  additionalProperties: false,
});

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: KeyKind,
    agent: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'ingest keys only: the one agent it may act on',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'research-bot in production', kind: 'ingest', agent: 'research-bot' },
      { name: 'ops automation', kind: 'admin' },
    ],
  },
);

export const ApiKeyListQuery = Type.Object({ limit: Limit, cursor: Cursor }, { additionalProperties: false });
export const ApiKeyIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
