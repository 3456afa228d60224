// Accounts and dashboard sessions (docs/api.md §8): signup, login, logout, me.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit.js';
import {
  burnPasswordCheck,
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from '../../auth/passwords.js';
import { principalOf } from '../../auth/plugin.js';
import { clearSessionCookie, setSessionCookie, type UserPrincipal } from '../../auth/sessions.js';
import type { AppContext } from '../../context.js';
import type { Queryable } from '../../db/types.js';
import { conflict, forbidden, unauthenticated } from '../../http/errors.js';
import { newId } from '../../ids.js';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'case-insensitive' });
const Password = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });

const SignupBody = Type.Object(
  { email: Email, password: Password, company: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
// Login accepts any password length: a length rule here would tell an attacker which guesses are pointless.
const LoginBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: PASSWORD_MAX_LENGTH }) },
  { additionalProperties: false },
);

const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});
const Customer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});
const SessionBody = Type.Object({ user: User, customer: Customer, csrf_token: Type.String() });
type SessionBodyT = Static<typeof SessionBody>;

interface AccountRow {
  user_id: string;
  email: string;
  password_hash: string;
  user_created_at: Date;
  customer_id: string;
  customer_name: string;
  customer_created_at: Date;
}

const ACCOUNT_SELECT = `SELECT u.id AS user_id, u.email, u.password_hash, u.created_at AS user_created_at,
    c.id AS customer_id, c.name AS customer_name, c.created_at AS customer_created_at
  FROM users u JOIN customers c ON c.id = u.customer_id`;

function sessionBody(row: AccountRow, csrfToken: string): SessionBodyT {
  return {
    user: { id: row.user_id, email: row.email, created_at: new Date(row.user_created_at).toISOString() },
    customer: {
      id: row.customer_id,
      name: row.customer_name,
      created_at: new Date(row.customer_created_at).toISOString(),
    },
    csrf_token: csrfToken,
  };
}

async function accountByUserId(q: Queryable, userId: string): Promise<AccountRow> {
  const { rows } = await q.query<AccountRow>(`${ACCOUNT_SELECT} WHERE u.id = $1`, [userId]);
  const row = rows[0];
  if (!row) throw unauthenticated();
  return row;
}

function userPrincipalOf(request: FastifyRequest): UserPrincipal {
  const principal = principalOf(request);
  if (principal.type !== 'user') throw forbidden('This route is for dashboard sessions, not API keys.');
  return principal;
}

const tags = ['auth'];
const sessionOnly: Array<Record<string, string[]>> = [{ session: [] }];
const errorNote = 'Errors: 400 invalid_request, 401 unauthenticated, 409 conflict, 429 rate_limited.';

export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: Static<typeof SignupBody> }>(
    '/v1/auth/signup',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Create a customer and its first user; starts a session',
        security: [],
        description: errorNote,
        body: SignupBody,
        response: { 201: SessionBody },
      },
    },
    async (request, reply) => {
      await ctx.auth.bruteForce.signup(request.ip);
      const { email, password, company } = request.body;
      // Hash first (slow) and outside the transaction: no row lock is held while scrypt runs.
      const passwordHash = await hashPassword(password);
      const result = await ctx.db.transaction(async (tx) => {
        const customerId = newId('cus');
        const userId = newId('usr');
        await tx.query('INSERT INTO customers (id, name) VALUES ($1, $2)', [customerId, company.trim()]);
        // The unique index on lower(email) settles concurrent signups: exactly one insert wins, never a
        // check-then-insert race. The loser's transaction rolls back, customer row included.
        const inserted = await tx.query(
          `INSERT INTO users (id, customer_id, email, password_hash) VALUES ($1, $2, $3, $4)
           ON CONFLICT (lower(email)) DO NOTHING RETURNING id`,
          [userId, customerId, email.toLowerCase(), passwordHash],
        );
        if (inserted.rows.length === 0) throw conflict('email', 'An account with this email already exists.');
        const session = await ctx.auth.sessions.create(tx, userId, customerId);
        await recordAudit(tx, {
          customerId,
          actor: session.principal,
          action: 'user.signup',
          targetType: 'user',
          targetId: userId,
          after: { email: email.toLowerCase(), company: company.trim() },
        });
        return { session, account: await accountByUserId(tx, userId) };
      });
      setSessionCookie(request, reply, result.session.token);
      return reply.code(201).send(sessionBody(result.account, result.session.csrfToken));
    },
  );

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Log in; starts a session (cookie) and returns its CSRF token',
        security: [],
        description: 'Errors: 400 invalid_request, 401 unauthenticated, 429 rate_limited.',
        body: LoginBody,
        response: { 200: SessionBody },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const attempt = await ctx.auth.bruteForce.login(request.ip, email);
      const { rows } = await ctx.db.query<AccountRow>(`${ACCOUNT_SELECT} WHERE lower(u.email) = lower($1)`, [
        email,
      ]);
      const account = rows[0];
      // Unknown email and wrong password take the same time (one scrypt each) and get the same body.
      const ok = account
        ? await verifyPassword(password, account.password_hash)
        : await burnPassword(password);
      if (!account || !ok) throw unauthenticated();
      await attempt.succeeded();
      const session = await ctx.auth.sessions.create(ctx.db, account.user_id, account.customer_id);
      setSessionCookie(request, reply, session.token);
      return sessionBody(account, session.csrfToken);
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'End this dashboard session',
        security: sessionOnly,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const principal = userPrincipalOf(request);
      await ctx.auth.sessions.destroy(principal.sessionTokenHash);
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/auth/me',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The logged-in user, its customer and the CSRF token',
        security: sessionOnly,
        response: { 200: SessionBody },
      },
    },
    async (request) => {
      const principal = userPrincipalOf(request);
      return sessionBody(await accountByUserId(ctx.db, principal.userId), principal.csrfToken);
    },
  );
}

async function burnPassword(password: string): Promise<false> {
  await burnPasswordCheck(password);
  return false;
}
