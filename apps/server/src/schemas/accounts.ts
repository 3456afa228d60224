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

const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('viewer')], {
  description: 'owner (the signup) and admin: everything; viewer: reads only (and logout)',
});

export const UserSchema = Type.Object(
  { id: Type.String({ description: 'usr_…' }), email: Type.String(), role: Role, created_at: Timestamp },
  { $id: 'User', additionalProperties: false },
);

export const UserPageSchema = Type.Object(Page(ref(UserSchema)).properties, {
  $id: 'UserPage',
  additionalProperties: false,
});

export const UserListQuery = Type.Object({ limit: Limit, cursor: Cursor }, { additionalProperties: false });
export const UserIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export const InviteBody = Type.Object(
  {
    email: Email,
    role: Type.Union([Type.Literal('admin'), Type.Literal('viewer')], {
      description: 'what the new user may do',
    }),
  },
  { additionalProperties: false, examples: [{ email: 'grace@example.com', role: 'viewer' }] },
);

export const InviteSchema = Type.Object(
  {
    invite_url: Type.String({
      description:
        'the link to hand to the person (no mail is sent): SPENDGUARD_PUBLIC_URL with the token as ?token=',
    }),
    expires_at: Timestamp,
  },
  { $id: 'Invite', additionalProperties: false },
);

export const AcceptInviteBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200, description: 'the ?token= of the invite link' }),
    password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }),
  },
  { additionalProperties: false, examples: [{ token: 'q4H…', password: 'correct horse battery staple' }] },
);

export const SignupStatusSchema = Type.Object(
  {
    open: Type.Boolean({
      description: 'a signup would be accepted now (SPENDGUARD_SIGNUP=closed: only on an empty instance)',
    }),
    empty: Type.Boolean({ description: 'no user yet: the dashboard opens on Sign up' }),
  },
  { $id: 'SignupStatus', additionalProperties: false },
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
