// A toy agent loop guarded by Spendguard. Each step "calls an LLM" (simulated: a random cost)
// inside guard(): the step runs only if the budget can hold its estimate, its real cost is
// recorded afterwards, and the loop stops cleanly when the kill switch is flipped (by hand or
// by a blown budget).
//
//   SPENDGUARD_URL=http://127.0.0.1:8787 SPENDGUARD_API_KEY=sg_ingest_... npx tsx examples/agent-loop.ts
//
// Optional: SPENDGUARD_AGENT (default "example-agent"), STEPS (default 20).
import { AgentSuspendedError, BudgetExceededError, Spendguard, SpendguardError } from '@spendguard/sdk';

const apiKey = process.env.SPENDGUARD_API_KEY;
const baseUrl = process.env.SPENDGUARD_URL ?? 'http://127.0.0.1:8787';
const agent = process.env.SPENDGUARD_AGENT ?? 'example-agent';
const steps = Number(process.env.STEPS ?? 20);

if (!apiKey) {
  console.error('Set SPENDGUARD_API_KEY to an ingest or admin key (create one in the dashboard).');
  process.exit(2);
}

const sg = new Spendguard({ apiKey, baseUrl });
const run = `run-${Date.now().toString(36)}`;

/** Stands in for a model call: takes a moment and costs between $0.001 and $0.05. */
async function fakeLlmCall(step: number): Promise<{ text: string; costMicros: number }> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const costMicros = 1_000 + Math.floor(Math.random() * 49_000);
  return { text: `thought #${step}`, costMicros };
}

const dollars = (micros: number | null | undefined) =>
  micros === null || micros === undefined ? 'no limit' : `$${(micros / 1_000_000).toFixed(6)}`;

console.log(`Spendguard at ${baseUrl}; agent "${agent}", run "${run}", up to ${steps} steps`);
try {
  const before = await sg.agent(agent).catch(() => null);
  if (before) {
    console.log(
      `status ${before.status}; month spend ${dollars(before.spend.month_micros)} of ${dollars(before.limits.month_micros)}`,
    );
  }
  for (let step = 1; step <= steps; step++) {
    const text = await sg.guard({ agent, run, estimateUsd: '0.05' }, async () => {
      const reply = await fakeLlmCall(step);
      console.log(`step ${step}: held $0.05, spent ${dollars(reply.costMicros)} → "${reply.text}"`);
      return { costMicros: reply.costMicros, value: reply.text, metadata: { step, model: 'fake-llm' } };
    });
    if (step === steps) console.log(`done: last output "${text}"`);
  }
  const after = await sg.agent(agent);
  console.log(
    `month spend now ${dollars(after.spend.month_micros)} of ${dollars(after.limits.month_micros)}`,
  );
} catch (error) {
  if (error instanceof AgentSuspendedError) {
    console.log(
      `stopping: agent is suspended (reason: ${error.reason}, since ${error.suspendedAt ?? 'unknown'})`,
    );
  } else if (error instanceof BudgetExceededError) {
    console.log(
      `stopping: ${error.scope} ${error.period} budget reached (${dollars(error.spentMicros)} of ${dollars(error.limitMicros)}` +
        `${error.resetsAt ? `, resets ${error.resetsAt}` : ''})`,
    );
  } else if (error instanceof SpendguardError) {
    console.error(
      `Spendguard error ${error.status} ${error.code}: ${error.message} (request ${error.requestId})`,
    );
    process.exitCode = 1;
  } else {
    throw error;
  }
}
