// Accounts (docs/api.md §8): sign-up creates a customer and its owner in one transaction with the session and the
// audit entry; accepting an invite adds a user to the inviting customer the same way; login checks the password in
// constant work; `me` reads the account back. The HTTP layer only sets or clears the cookie.
import type { Static } from 'typebox';
import { limitsToJson, NO_LIMITS } from '../agents/limits.js';
import { recordAudit } from '../audit.js';
import type { Db, Queryable } from '../db/types.js';
import { conflict, forbidden, invalidRequest, notFound, unauthenticated } from '../http/errors.js';
import { newId } from '../ids.js';
import type { SessionSchema } from '../schemas/accounts.js';
import type { BruteForceGuard } from './brute-force.js';
import { passwordWeakness } from './password-strength.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import { sha256Hex } from './secrets.js';
import type { SessionStore } from './sessions.js';
import type { Role } from './types.js';

export type SessionJson = Static<typeof SessionSchema>;

/** A session just started: the cookie token for the HTTP layer, and the body to answer. */
export interface StartedSession {
  token: string;
  body: SessionJson;
}

/** Who may sign up (docs/api.md §8, SPENDGUARD_SIGNUP / SPENDGUARD_OWNER_EMAIL). */
export interface SignupPolicy {
  /** closed: only the very first signup of an empty instance; everyone else joins by invite. */
  closed: boolean;
  /** With closed signup: the one email that may make that first signup (null = any). */
  ownerEmail: string | null;
}

export interface AccountService {
  signup(input: { email: string; password: string; company: string; ip: string }): Promise<StartedSession>;
  acceptInvite(input: { token: string; password: string; ip: string }): Promise<StartedSession>;
  /** What the sign-up page needs before anyone is logged in: whether a signup would be accepted, and whether this
   * instance has no user yet (the dashboard then opens on Sign up). */
  signupStatus(): Promise<{ open: boolean; empty: boolean }>;
  login(input: { email: string; password: string; ip: string }): Promise<StartedSession>;
  me(userId: string, csrfToken: string): Promise<SessionJson>;
  logout(sessionTokenHash: string): Promise<void>;
}

interface AccountRow {
  user_id: string;
  email: string;
  role: Role;
  password_hash: string;
  user_created_at: Date;
  customer_id: string;
  customer_name: string;
  customer_created_at: Date;
}

const ACCOUNT_SELECT = `SELECT u.id AS user_id, u.email, u.role, u.password_hash, u.created_at AS user_created_at,
    c.id AS customer_id, c.name AS customer_name, c.created_at AS customer_created_at
  FROM users u JOIN customers c ON c.id = u.customer_id`;

function sessionJson(row: AccountRow, csrfToken: string): SessionJson {
  return {
    user: {
      id: row.user_id,
      email: row.email,
      role: row.role,
      created_at: new Date(row.user_created_at).toISOString(),
    },
    customer: {
      id: row.customer_id,
      name: row.customer_name,
      created_at: new Date(row.customer_created_at).toISOString(),
    },
    csrf_token: csrfToken,
  };
}

/** A 400 naming the password when zxcvbn finds it too easy to guess (auth/password-strength.ts). */
function mustBeStrong(password: string, userInputs: string[]): void {
  const problem = passwordWeakness(password, userInputs);
  if (problem) throw invalidRequest([{ field: 'password', problem }], 'The password is too easy to guess.');
}

const signupClosed = () =>
  forbidden('Sign-up is closed on this server: ask an admin of your team for an invite link.');

/** The advisory lock concurrent first signups of a closed instance queue on ("SG" + 2, next to db/migrate.ts's). */
const FIRST_SIGNUP_LOCK = 0x5347_0002;

const NO_USER_YET = 'SELECT NOT EXISTS (SELECT 1 FROM users) AS empty';

/**
 * Inserts a user. The unique index on lower(email) settles concurrent signups and accepts: exactly one insert wins,
 * never a check-then-insert race; the loser's transaction rolls back (customer row or used invite included).
 */
async function insertUser(
  tx: Queryable,
  user: { id: string; customerId: string; email: string; passwordHash: string; role: Role },
): Promise<void> {
  const inserted = await tx.query(
    `INSERT INTO users (id, customer_id, email, password_hash, role) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (lower(email)) DO NOTHING RETURNING id`,
    [user.id, user.customerId, user.email.toLowerCase(), user.passwordHash, user.role],
  );
  if (inserted.rows.length === 0) throw conflict('email', 'An account with this email already exists.');
}

async function findOpenInvite(q: Queryable, token: string): Promise<{ email: string } | null> {
  const { rows } = await q.query<{ email: string }>(
    'SELECT email FROM invites WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()',
    [sha256Hex(token)],
  );
  return rows[0] ?? null;
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
  signup: SignupPolicy;
}): AccountService {
  const { db, sessions, bruteForce } = deps;
  /** Closed signup admits only the first user of an empty instance — with the owner's email, if one is set. */
  const admitsFirstSignup = async (q: Queryable, email: string): Promise<boolean> => {
    const owner = deps.signup.ownerEmail;
    if (owner !== null && owner.toLowerCase() !== email.toLowerCase()) return false;
    const { rows } = await q.query<{ empty: boolean }>(NO_USER_YET);
    return rows[0]?.empty === true;
  };
  // An agent created on the fly — a typo in its name included — gets these, so it cannot spend without a limit.
  const newCustomerDefaults = JSON.stringify(
    limitsToJson({ ...NO_LIMITS, monthMicros: deps.defaultAgentMonthMicros }),
  );
  return {
    async signup({ email, password, company, ip }) {
      await bruteForce.signup(ip);
      // Checked again under the lock below; this early check spares a refused request the password hash.
      if (deps.signup.closed && !(await admitsFirstSignup(db, email))) throw signupClosed();
      mustBeStrong(password, [email, company]);
      // Hash first (slow) and outside the transaction: no row lock is held while scrypt runs.
      const passwordHash = await hashPassword(password);
      return db.transaction(async (tx) => {
        // Closed signup: concurrent first signups queue on one advisory lock, so exactly one finds no user.
        if (deps.signup.closed) {
          await tx.query('SELECT pg_advisory_xact_lock($1)', [FIRST_SIGNUP_LOCK]);
          if (!(await admitsFirstSignup(tx, email))) throw signupClosed();
        }
        const customerId = newId('cus');
        const userId = newId('usr');
        await tx.query('INSERT INTO customers (id, name, default_agent_limits) VALUES ($1, $2, $3::jsonb)', [
          customerId,
          company.trim(),
          newCustomerDefaults,
        ]);
        await insertUser(tx, { id: userId, customerId, email, passwordHash, role: 'owner' });
        const session = await sessions.create(tx, userId, customerId, 'owner');
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
      const session = await sessions.create(db, account.user_id, account.customer_id, account.role);
      return { token: session.token, body: sessionJson(account, session.csrfToken) };
    },

    async acceptInvite({ token, password, ip }) {
      // Counted like a signup: it makes an account.
      await bruteForce.signup(ip);
      const invite = await findOpenInvite(db, token);
      if (!invite) throw notFound('invite');
      mustBeStrong(password, [invite.email]);
      const passwordHash = await hashPassword(password);
      return db.transaction(async (tx) => {
        // Used up in the same transaction that makes the user: two accepts of one link make one account.
        const { rows } = await tx.query<{ customer_id: string; email: string; role: Role }>(
          `UPDATE invites SET used_at = now()
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
            RETURNING customer_id, email, role`,
          [sha256Hex(token)],
        );
        const used = rows[0];
        if (!used) throw notFound('invite');
        const userId = newId('usr');
        await insertUser(tx, {
          id: userId,
          customerId: used.customer_id,
          email: used.email,
          passwordHash,
          role: used.role,
        });
        const session = await sessions.create(tx, userId, used.customer_id, used.role);
        await recordAudit(tx, {
          customerId: used.customer_id,
          actor: session.principal,
          action: 'user.join',
          targetType: 'user',
          targetId: userId,
          after: { email: used.email, role: used.role },
        });
        return {
          token: session.token,
          body: sessionJson(await accountByUserId(tx, userId), session.csrfToken),
        };
      });
    },

    async signupStatus() {
      const { rows } = await db.query<{ empty: boolean }>(NO_USER_YET);
      const empty = rows[0]?.empty ?? false;
      return { open: !deps.signup.closed || empty, empty };
    },

    async me(userId, csrfToken) {
      return sessionJson(await accountByUserId(db, userId), csrfToken);
    },

    logout: (sessionTokenHash) => sessions.destroy(sessionTokenHash),
  };
}
