// A strict consumer of the published types (`@spendguard/sdk` → dist/index.d.ts). It has no
// DOM or Node types on purpose: the SDK's declarations must stand on ES2022 alone.
// Compiled with --noEmit by types.test.ts; it never runs.
import {
  AgentSuspendedError,
  BudgetExceededError,
  isUnavailable,
  type Reservation,
  Spendguard,
  SpendguardError,
  type TrackResponse,
} from '@spendguard/sdk';

declare function print(line: string): void;

export async function failClosed(): Promise<void> {
  const sg = new Spendguard({ apiKey: 'sg_ingest_x', baseUrl: 'http://127.0.0.1:8787', maxRetries: 2 });

  const tracked: TrackResponse = await sg.track({
    agent: 'bot',
    costUsd: '0.0123',
    metadata: { model: 'm' },
  });
  const micros: number = tracked.event.cost_micros;
  print(`${micros} ${tracked.budget.agent.month?.remaining_micros ?? 'no limit'}`);

  const hold: Reservation = await sg.reserve({ agent: 'bot', amountMicros: 50_000, ttlSeconds: 60 });
  await hold.commit({ costMicros: 40_000 });

  const answer: string = await sg.guard({ agent: 'bot', estimateUsd: 0.05 }, async () => ({
    costUsd: 0.01,
    value: 'answer',
  }));
  print(answer);

  const agent = await sg.agent('bot');
  const status: 'active' | 'suspended' = agent.status;
  print(status);

  try {
    await sg.track({ agent: 'bot', costMicros: 1 });
  } catch (error) {
    if (error instanceof AgentSuspendedError) print(error.reason);
    if (error instanceof BudgetExceededError) print(`${error.scope} ${error.period} ${error.limitMicros}`);
    if (error instanceof SpendguardError) print(`${error.status} ${error.code} ${error.requestId}`);
  }

  // @ts-expect-error a cost is given as costUsd or costMicros, never both
  await sg.track({ agent: 'bot', costUsd: 1, costMicros: 1_000_000 });
}

export async function failOpen(): Promise<void> {
  const sg = new Spendguard({
    apiKey: 'sg_ingest_x',
    baseUrl: 'http://127.0.0.1:8787',
    onUnavailable: 'allow',
  });
  const result = await sg.track({ agent: 'bot', costMicros: 1 });
  // With 'allow' the result may be the unavailable marker, so it must be narrowed first.
  // @ts-expect-error `event` does not exist on UnavailableResult
  print(result.event.id);
  if (isUnavailable(result)) print(result.error.message);
  else print(result.event.id);

  const hold = await sg.reserve({ agent: 'bot', amountUsd: 1 });
  if (hold.unavailable) print('no hold: Spendguard unreachable');
  else print(hold.id);
}
