// Accounts and dashboard sessions (docs/api.md §8): signup, login, logout, me. Thin: the account service does the
// work; this layer sets or clears the session cookie.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import { clearSessionCookie, setSessionCookie, type UserPrincipal } from '../../auth/sessions.js';
import type { AppContext } from '../../context.js';
import { forbidden } from '../../http/errors.js';
import {
  AcceptInviteBody,
  LoginBody,
  SessionSchema,
  SignupBody,
  SignupStatusSchema,
} from '../../schemas/accounts.js';
import { errors, ref } from '../../schemas/common.js';

function userPrincipalOf(request: FastifyRequest): UserPrincipal {
  const principal = principalOf(request);
  if (principal.type !== 'user') throw forbidden('This route is for dashboard sessions, not API keys.');
  return principal;
}

const tags = ['auth'];
const sessionOnly: Array<Record<string, string[]>> = [{ session: [] }];

export async function authRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const accounts = ctx.auth.accounts;

  app.post(
    '/v1/auth/signup',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Create a customer and its owner; starts a session',
        description:
          'With SPENDGUARD_SIGNUP=closed only the very first signup of an empty instance is accepted (with ' +
          'SPENDGUARD_OWNER_EMAIL, only that email); later ones are 403 — people join by invite. A password ' +
          'that is too easy to guess is 400.',
        security: [],
        body: SignupBody,
        response: {
          201: ref(SessionSchema, 'signed up; session cookie set'),
          ...errors(400, 403, 409, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const { email, password, company } = request.body;
      const started = await accounts.signup({ email, password, company, ip: request.ip });
      setSessionCookie(request, reply, started.token);
      return reply.code(201).send(started.body);
    },
  );

  app.get(
    '/v1/auth/signup',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Whether a signup would be accepted now, and whether the instance has no user yet',
        security: [],
        response: { 200: ref(SignupStatusSchema, 'the signup status'), ...errors(429, 500, 503) },
      },
    },
    async () => accounts.signupStatus(),
  );

  app.post(
    '/v1/auth/accept-invite',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Join the inviting team with the invite link’s token; starts a session',
        description:
          'An unknown, used or expired token is 404; an email that already has an account is 409. The link works ' +
          'once, for 7 days.',
        security: [],
        body: AcceptInviteBody,
        response: {
          201: ref(SessionSchema, 'joined; session cookie set'),
          ...errors(400, 404, 409, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const { token, password } = request.body;
      const started = await accounts.acceptInvite({ token, password, ip: request.ip });
      setSessionCookie(request, reply, started.token);
      return reply.code(201).send(started.body);
    },
  );

  app.post(
    '/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Log in; starts a session (cookie) and returns its CSRF token',
        description: 'A wrong email and a wrong password answer the same 401 in about the same time.',
        security: [],
        body: LoginBody,
        response: {
          200: ref(SessionSchema, 'logged in; session cookie set'),
          ...errors(400, 401, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const started = await accounts.login({ email, password, ip: request.ip });
      setSessionCookie(request, reply, started.token);
      return started.body;
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      // The one write a viewer may make.
      config: { access: 'admin', viewerMayWrite: true },
      schema: {
        tags,
        summary: 'End this dashboard session',
        security: sessionOnly,
        response: {
          204: { type: 'null', description: 'session ended; cookie cleared' },
          ...errors(401, 403, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      await accounts.logout(userPrincipalOf(request).sessionTokenHash);
      clearSessionCookie(request, reply);
      return reply.code(204).send(null);
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
        response: { 200: ref(SessionSchema, 'the session'), ...errors(401, 403, 429, 500, 503) },
      },
    },
    async (request) => {
      const principal = userPrincipalOf(request);
      return accounts.me(principal.userId, principal.csrfToken);
    },
  );
}
