// The team of a customer (docs/api.md §8): invites (a link, since no mail is sent), the users list, and removal.
// Accepting an invite is in accounts.ts, with signup: both make an account and start a session.
import type { Static } from 'typebox';
import { recordAudit } from '../audit.js';
import type { Db } from '../db/types.js';
import { decodeCursor, pageOf } from '../http/cursor.js';
import { conflict, forbidden, notFound } from '../http/errors.js';
import type { InviteSchema, UserPageSchema } from '../schemas/accounts.js';
import { randomToken, sha256Hex } from './secrets.js';
import type { Principal, Role } from './types.js';

/** An invite link works this long, once. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type InviteJson = Static<typeof InviteSchema>;
export type UserPage = Static<typeof UserPageSchema>;

export interface TeamService {
  invite(actor: Principal, input: { email: string; role: Exclude<Role, 'owner'> }): Promise<InviteJson>;
  list(customerId: string, options: { limit: number; cursor: string | undefined }): Promise<UserPage>;
  remove(actor: Principal, userId: string): Promise<void>;
}

interface UserRow {
  id: string;
  email: string;
  role: Role;
  created_at: Date | string;
}

export function createTeamService(deps: { db: Db; publicUrl: string }): TeamService {
  const { db } = deps;
  return {
    async invite(actor, { email, role }) {
      const lower = email.toLowerCase();
      const taken = await db.query('SELECT 1 FROM users WHERE lower(email) = $1', [lower]);
      // Checked again when the invite is accepted (the unique index); saying it now spares a dead link.
      if (taken.rows.length > 0) throw conflict('email', 'An account with this email already exists.');
      const token = randomToken();
      const expiresAt = new Date(Date.now() + INVITE_TTL_MS).toISOString();
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO invites (token_hash, customer_id, email, role, expires_at) VALUES ($1, $2, $3, $4, $5)`,
          [sha256Hex(token), actor.customerId, lower, role, expiresAt],
        );
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'user.invite',
          targetType: 'invite',
          targetId: null,
          after: { email: lower, role, expires_at: expiresAt },
        });
      });
      // The token rides in the fragment's query: browsers never send a fragment, so it stays out of server and
      // proxy logs; the dashboard reads it from there.
      return {
        invite_url: `${deps.publicUrl}/#/accept-invite?token=${token}`,
        expires_at: expiresAt,
      };
    },

    async list(customerId, { limit, cursor }) {
      const after = decodeCursor(cursor, (v): v is string => typeof v === 'string');
      const { rows } = await db.query<UserRow>(
        `SELECT id, email, role, created_at FROM users
          WHERE customer_id = $1 AND ($2::text IS NULL OR email > $2) ORDER BY email LIMIT $3`,
        [customerId, after, limit + 1],
      );
      return pageOf(
        rows,
        limit,
        (u) => u.email,
        (u) => ({ id: u.id, email: u.email, role: u.role, created_at: new Date(u.created_at).toISOString() }),
      );
    },

    async remove(actor, userId) {
      await db.transaction(async (tx) => {
        const { rows } = await tx.query<UserRow>(
          'SELECT id, email, role, created_at FROM users WHERE id = $1 AND customer_id = $2 FOR UPDATE',
          [userId, actor.customerId],
        );
        const user = rows[0];
        if (!user) throw notFound('user');
        if (user.role === 'owner') throw forbidden('The owner of the account cannot be removed.');
        // Its sessions go with it (ON DELETE CASCADE): it is logged out everywhere from the next request on.
        await tx.query('DELETE FROM users WHERE id = $1', [userId]);
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'user.remove',
          targetType: 'user',
          targetId: userId,
          before: { email: user.email, role: user.role },
        });
      });
    },
  };
}
