// What the reservation services need and answer; built from the app's spend services (spend/services.ts).
import type { AgentDirectory } from '../agents/directory.js';
import type { Bus } from '../live/bus.js';
import type { DecisionDeps, MoneyOutcome } from '../spend/idempotent-request.js';
import type { EventWriter } from '../spend/writer.js';

export interface ReservationDeps extends DecisionDeps {
  writer: EventWriter;
  directory: AgentDirectory;
  bus: Bus;
  /** Publishes the agent object after a decision flipped its kill switch (agents/service.ts announce). */
  announceAgent(customerId: string, agentId: string): Promise<void>;
}

export type ReservationOutcome = MoneyOutcome;
