// Accounts (docs/api.md §8): sign-up creates a customer and its first user in one transaction with the session and
// the audit entry; login checks the password in constant work; `me` reads the account back. The HTTP layer only
// sets or clears the cookie.
import type { Static } from 'typebox';
import { limitsToJson, NO_LIMITS } from '../agents/limits.js';
import { recordAudit } from '../audit.js';
import type { Db, Queryable } from '../db/types.js';
import { conflict, unauthenticated } from '../http/errors.js';
import { newId } from '../ids.js';
import type { SessionSchema } from '../schemas/accounts.js';
import type { BruteForceGuard } from './brute-force.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import type { SessionStore } from './sessions.js';

export type SessionJson = Static<typeof SessionSchema>;

/** A session just started: the cookie token for the HTTP layer, and the body to answer. */
export interface StartedSession {
  token: string;
  body: SessionJson;
}

export interface AccountService {
  signup(input: { email: string; password: string; company: string; ip: string }): Promise<StartedSession>;
  login(input: { email: string; password: string; ip: string }): Promise<StartedSession>;
  me(userId: string, csrfToken: string): Promise<SessionJson>;
  logout(sessionTokenHash: string): Promise<void>;
}

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

function sessionJson(row: AccountRow, csrfToken: string): SessionJson {
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

export function createAccountService(deps: {
  db: Db;
  sessions: SessionStore;
  bruteForce: BruteForceGuard;
  /** The monthly limit of a new customer's default agent limits (docs/api.md §8 "Safe by default"); null = none. */
  defaultAgentMonthMicros: number | null;
}): AccountService {
  const { db, sessions, bruteForce } = deps;
  // An agent created on the fly — a typo in its name included — gets these, so it cannot spend without a limit.
  const newCustomerDefaults = JSON.stringify(
    limitsToJson({ ...NO_LIMITS, monthMicros: deps.defaultAgentMonthMicros }),
  );
  return {
    async signup({ email, password, company, ip }) {
      await bruteForce.signup(ip);
      // Hash first (slow) and outside the transaction: no row lock is held while scrypt runs.
      const passwordHash = await hashPassword(password);
      return db.transaction(async (tx) => {
        const customerId = newId('cus');
        const userId = newId('usr');
        await tx.query('INSERT INTO customers (id, name, default_agent_limits) VALUES ($1, $2, $3::jsonb)', [
          customerId,
          company.trim(),
          newCustomerDefaults,
        ]);
        // The unique index on lower(email) settles concurrent signups: exactly one insert wins, never a
        // check-then-insert race. The loser's transaction rolls back, customer row included.
        const inserted = await tx.query(
          `INSERT INTO users (id, customer_id, email, password_hash) VALUES ($1, $2, $3, $4)
           ON CONFLICT (lower(email)) DO NOTHING RETURNING id`,
          [userId, customerId, email.toLowerCase(), passwordHash],
        );
        if (inserted.rows.length === 0) throw conflict('email', 'An account with this email already exists.');
        const session = await sessions.create(tx, userId, customerId);
        await recordAudit(tx, {
          customerId,
          actor: session.principal,
          action: 'user.signup',
          targetType: 'user',
          targetId: userId,
          after: { email: email.toLowerCase(), company: company.trim() },
        });
        return {
          token: session.token,
          body: sessionJson(await accountByUserId(tx, userId), session.csrfToken),
        };
      });
    },

    async login({ email, password, ip }) {
      const attempt = await bruteForce.login(ip, email);
      const { rows } = await db.query<AccountRow>(`${ACCOUNT_SELECT} WHERE lower(u.email) = lower($1)`, [
        email,
      ]);
      const account = rows[0];
      // Unknown email and wrong password take the same time (one scrypt each) and get the same body.
      const ok = account
        ? await verifyPassword(password, account.password_hash)
        : await burnPasswordCheck(password).then(() => false);
      if (!account || !ok) throw unauthenticated();
      await attempt.succeeded();
      const session = await sessions.create(db, account.user_id, account.customer_id);
      return { token: session.token, body: sessionJson(account, session.csrfToken) };
    },

    async me(userId, csrfToken) {
      return sessionJson(await accountByUserId(db, userId), csrfToken);
    },

    logout: (sessionTokenHash) => sessions.destroy(sessionTokenHash),
  };
}
