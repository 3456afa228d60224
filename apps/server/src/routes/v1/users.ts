// The team (docs/api.md §8): invites, the users list, removal. Thin: the team service does the work. A viewer's
// writes are refused by the auth plugin before they get here.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import {
  InviteBody,
  InviteSchema,
  UserIdParams,
  UserListQuery,
  UserPageSchema,
} from '../../schemas/accounts.js';
import { errors, ref } from '../../schemas/common.js';

const tags = ['users'];

export async function userRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const team = ctx.auth.team;

  app.post(
    '/v1/users/invites',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Invite someone as admin or viewer: answers the link to hand them (no mail is sent)',
        description:
          'Owner and admin users, or an admin key. The link is built from SPENDGUARD_PUBLIC_URL and works once, ' +
          'for 7 days. An email that already has an account is 409.',
        body: InviteBody,
        response: {
          201: ref(InviteSchema, 'the invite link'),
          ...errors(400, 401, 403, 409, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const invite = await team.invite(principalOf(request), request.body);
      return reply.code(201).send(invite);
    },
  );

  app.get(
    '/v1/users',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The users of this customer, by email, with their roles (any role may read it)',
        querystring: UserListQuery,
        response: { 200: ref(UserPageSchema, 'one page of users'), ...errors(400, 401, 403, 429, 500, 503) },
      },
    },
    async (request) =>
      team.list(principalOf(request).customerId, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );

  app.delete(
    '/v1/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Remove a user: its sessions end at once; the owner cannot be removed',
        params: UserIdParams,
        response: {
          204: { type: 'null', description: 'removed' },
          ...errors(401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      await team.remove(principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
