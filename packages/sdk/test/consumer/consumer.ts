// A strict consumer of the published types, compiled (never run) by package.test.ts against the packed
// package as consumer.mts and consumer.cts. It has no DOM or Node types on purpose: the SDK's declarations
// must stand on ES2022 alone. Its `@ts-expect-error` lines fail the check if those calls ever compile.
import {
  AgentSuspendedError,
  BudgetExceededError,
  guardAnthropic,
  guardOpenAI,
  isUnavailable,
  LoopDetectedError,
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

// A client of the openai / @anthropic-ai/sdk shape (the consumer has neither package): the guard returns its type.
interface ChatClient {
  chat: { completions: { create(body: { model: string; messages: unknown[] }): Promise<{ id: string }> } };
  models: { list(): Promise<string[]> };
}
declare const chatClient: ChatClient;
declare const messagesClient: {
  messages: { create(body: { model: string; max_tokens: number }): Promise<{ id: string }> };
};

export async function guarded(): Promise<void> {
  const sg = new Spendguard({ apiKey: 'sg_ingest_x', baseUrl: 'http://127.0.0.1:8787' });
  const openai: ChatClient = guardOpenAI(chatClient, {
    sg,
    agent: 'bot',
    run: 'task-1',
    countTokens: (text) => text.length,
    fingerprint: false,
  });
  const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
  print(reply.id);
  print((await openai.models.list()).join());
  const claude = guardAnthropic(messagesClient, {
    sg,
    agent: 'bot',
    fingerprint: (request) => String(request.model),
  });
  print((await claude.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10 })).id);
  try {
    await sg.reserve({
      agent: 'bot',
      estimate: { provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, maxOutputTokens: 10 },
      fingerprint: 'f',
    });
  } catch (error) {
    if (error instanceof LoopDetectedError)
      print(`${error.fingerprint} ${error.count} ${error.windowSeconds}`);
  }
  // @ts-expect-error the agent is required
  guardOpenAI(chatClient, { sg });
}
