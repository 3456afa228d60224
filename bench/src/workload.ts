// The events the benchmark sends: spread over a few agents, varying integer costs, a realistic metadata object,
// and an idempotency key unique per request (a repeated key would be a replay, not new work).
import type { Ledger } from './ledger.js';

export interface EventRequest {
  agent: string;
  costMicros: number;
  idempotencyKey: string;
  body: string;
}

export class Workload {
  private next = 0;
  constructor(
    private readonly runId: string,
    readonly agents: string[],
  ) {}

  /** The i-th event of this run; deterministic apart from the run id. */
  make(): EventRequest {
    const i = this.next++;
    const agent = this.agents[i % this.agents.length] ?? 'bench-agent-0';
    const costMicros = 1 + ((i * 7919) % 5000);
    const idempotencyKey = `bench-${this.runId}-${i}`;
    const body = JSON.stringify({
      agent,
      cost_micros: costMicros,
      run: `run-${i % 50}`,
      metadata: { model: 'gpt-4o-mini', tokens: 200 + (i % 4000), tool: 'bench' },
    });
    return { agent, costMicros, idempotencyKey, body };
  }

  get sent(): number {
    return this.next;
  }
}

export function eventHeaders(apiKey: string, request: EventRequest): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: `Bearer ${apiKey}`,
    'idempotency-key': request.idempotencyKey,
  };
}

export type { Ledger };
