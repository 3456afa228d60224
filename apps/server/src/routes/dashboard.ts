import type { FastifyInstance } from 'fastify';

// Placeholder: the dashboard work replaces this with static serving of apps/dashboard/dist.
export async function dashboardRoutes(_app: FastifyInstance, _opts: { distDir: string }): Promise<void> {}
