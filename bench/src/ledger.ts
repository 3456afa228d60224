// What the benchmark itself knows was acknowledged: every 201 and the cost it carried. The correctness check
// compares this against what the API and PostgreSQL report — exactly, in integer micro-dollars.

export class Ledger {
  acknowledged = 0;
  acknowledgedMicros = 0;
  readonly perAgentMicros = new Map<string, number>();
  readonly statuses = new Map<number, number>();

  record(status: number, agent: string, costMicros: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status !== 201) return;
    this.acknowledged++;
    this.acknowledgedMicros += costMicros;
    this.perAgentMicros.set(agent, (this.perAgentMicros.get(agent) ?? 0) + costMicros);
    if (!Number.isSafeInteger(this.acknowledgedMicros)) throw new Error('ledger overflowed safe integers');
  }
}
