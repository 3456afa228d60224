// Dashboard sessions, kept in PostgreSQL (table `sessions`): the cookie carries 32 random bytes (signed with the
// session secret by @fastify/cookie), the table only their SHA-256 — a database leak yields no usable session.
// Sessions are read from PostgreSQL on every request: logout and expiry take effect at once on every instance,
// and dashboard traffic is far too light to need a cache.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Queryable } from '../db/types.js';
import { randomToken, sha256Hex } from './secrets.js';
import type { Principal, Role } from './types.js';

export const SESSION_COOKIE = 'sg_session';
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type UserPrincipal = Extract<Principal, { type: 'user' }>;

export interface NewSession {
  token: string;
  csrfToken: string;
  principal: UserPrincipal;
}

export interface SessionStore {
  /** Inserts a session (inside the caller's transaction when given one). */
  create(q: Queryable, userId: string, customerId: string, role: Role): Promise<NewSession>;
  resolve(token: string): Promise<UserPrincipal | null>;
  destroy(tokenHash: string): Promise<void>;
}

export function createSessionStore(db: Db): SessionStore {
  return {
    async create(q, userId, customerId, role) {
      const token = randomToken();
      const csrfToken = randomToken();
      const tokenHash = sha256Hex(token);
      await q.query(
        `INSERT INTO sessions (token_hash, user_id, customer_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
        [tokenHash, userId, customerId, csrfToken, SESSION_TTL_MS / 1000],
      );
      // Housekeeping: this user's expired sessions go when a new one starts; no background job needed.
      await q.query('DELETE FROM sessions WHERE user_id = $1 AND expires_at <= now()', [userId]);
      return {
        token,
        csrfToken,
        principal: { type: 'user', customerId, userId, role, sessionTokenHash: tokenHash, csrfToken },
      };
    },
    async resolve(token) {
      const tokenHash = sha256Hex(token);
      // The role is read with the session, so a change of role (or a removed user: its sessions go with it) counts
      // from the very next request.
      const { rows } = await db.query<{
        user_id: string;
        customer_id: string;
        csrf_token: string;
        role: Role;
      }>(
        `SELECT s.user_id, s.customer_id, s.csrf_token, u.role FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.expires_at > now()`,
        [tokenHash],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        type: 'user',
        customerId: row.customer_id,
        userId: row.user_id,
        role: row.role,
        sessionTokenHash: tokenHash,
        csrfToken: row.csrf_token,
      };
    },
    async destroy(tokenHash) {
      await db.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
    },
  };
}

function cookieOptions(request: FastifyRequest) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
    signed: true,
  };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(request), maxAge: SESSION_TTL_MS / 1000 });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
}

/** The session token from the request's signed cookie; undefined when absent or its signature is wrong. */
export function sessionTokenFrom(request: FastifyRequest): string | undefined {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}
