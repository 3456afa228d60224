// The gateway phase's arithmetic: what each agent's calls must have committed (from the cost the gateway answered in
// X-Spendguard-Cost-Micros, or, for a stream, the known cost of the same usage), and the latency the gateway adds
// (the same percentile measured through it minus measured directly, in the same run).
import { round } from './stats.js';

export class GatewayLedger {
  readonly perAgent = new Map<string, { calls: number; micros: number }>();
  /** 200 answers of a non-streamed call without X-Spendguard-Cost-Micros (its commit was not confirmed in time). */
  missingCost = 0;

  /** A non-streamed call answered 200: its cost header is what it committed. */
  recordAnswer(agent: string, costHeader: string | string[] | undefined): void {
    const cost = typeof costHeader === 'string' && /^\d+$/.test(costHeader) ? Number(costHeader) : null;
    if (cost === null) {
      this.missingCost++;
      return;
    }
    this.record(agent, cost);
  }

  /** A call whose committed cost is known otherwise (a fully received stream of a known usage). */
  record(agent: string, micros: number): void {
    const entry = this.perAgent.get(agent) ?? { calls: 0, micros: 0 };
    entry.calls++;
    entry.micros += micros;
    if (!Number.isSafeInteger(entry.micros)) throw new Error('gateway ledger overflowed safe integers');
    this.perAgent.set(agent, entry);
  }

  get calls(): number {
    let n = 0;
    for (const e of this.perAgent.values()) n += e.calls;
    return n;
  }
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

/** Gateway minus direct, percentile by percentile (the latency the gateway adds at that rank). */
export function added(direct: Percentiles, gateway: Percentiles): Percentiles {
  return {
    p50: round(gateway.p50 - direct.p50),
    p90: round(gateway.p90 - direct.p90),
    p99: round(gateway.p99 - direct.p99),
  };
}

/** The text the simulator streams as one chunk per word (its words are `\S+\s*`). */
export function wordsOf(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}
