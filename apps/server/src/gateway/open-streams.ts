// The gateway streams open on this instance, by agent, so the kill switch reaches them mid-generation (docs/api.md
// §12): every suspension — a person's or a limit's, decided on any instance — is announced on the customer's bus
// channel as the agent object; an open stream of that agent stops at once. A lost pub/sub message must not leave a
// stream running: while streams are open, the spend store (where every suspension is in force before it is
// announced) is also read every POLL_MS for their agents. Only a suspension from after the stream's request arrived
// (less the clock skew between instances) counts — an older one would have declined the hold, and a budget
// suspension that lapsed is not one.
import { customerChannel } from '../agents/live-channel.js';
import type { Bus } from '../live/bus.js';
import { CLOCK_SKEW_MS } from '../spend/bounds.js';
import type { SpendStore } from '../spend/store.js';

const POLL_MS = 500;

export interface Suspension {
  reason: string | null;
  suspendedAt: number;
}

/** Why a stream is stopped: its agent's kill switch, or this instance shutting down. */
export type StopCause = { kind: 'suspended'; suspension: Suspension } | { kind: 'shutdown' };

interface OpenStream {
  openedAt: number;
  stop(cause: StopCause): void;
}

interface AgentJsonMessage {
  type?: unknown;
  data?: { id?: unknown; status?: unknown; suspended_reason?: unknown; suspended_at?: unknown };
}

export interface OpenStreams {
  /**
   * Watches one stream until its unregister function is called (after its cost is committed, so a shutdown waits for
   * that too). `stop` runs at most once.
   */
  open(
    customerId: string,
    agentId: string,
    openedAt: number,
    stop: (cause: StopCause) => void,
  ): Promise<() => void>;
  /** Streams open on this instance. */
  count(): number;
  /** Stops every open stream (a shutdown) and waits until each has committed and unregistered, at most `maxMs`. */
  stopAll(maxMs: number): Promise<void>;
  close(): Promise<void>;
}

export function createOpenStreams(deps: { bus: Bus; store: SpendStore }): OpenStreams {
  const byAgent = new Map<string, { customerId: string; agentId: string; streams: Set<OpenStream> }>();
  const channels = new Map<string, { users: number; off: Promise<() => Promise<void>> }>();
  let timer: NodeJS.Timeout | undefined;
  let total = 0;

  const stopAgent = (customerId: string, agentId: string, suspension: Suspension) => {
    const entry = byAgent.get(`${customerId}\u0000${agentId}`);
    if (!entry) return;
    for (const stream of [...entry.streams]) {
      // Instances' clocks differ by up to CLOCK_SKEW_MS: a suspension stamped by a slower clock still counts.
      if (suspension.suspendedAt >= stream.openedAt - CLOCK_SKEW_MS)
        stream.stop({ kind: 'suspended', suspension });
    }
  };

  const onMessage = (customerId: string) => (message: unknown) => {
    const m = message as AgentJsonMessage;
    if (m?.type !== 'agent' || m.data?.status !== 'suspended' || typeof m.data.id !== 'string') return;
    const at = typeof m.data.suspended_at === 'string' ? Date.parse(m.data.suspended_at) : Number.NaN;
    stopAgent(customerId, m.data.id, {
      reason: typeof m.data.suspended_reason === 'string' ? m.data.suspended_reason : null,
      suspendedAt: Number.isNaN(at) ? Date.now() : at,
    });
  };

  const poll = async () => {
    for (const { customerId, agentId } of [...byAgent.values()]) {
      const stored = await deps.store.readAgent(customerId, agentId).catch(() => null);
      if (!stored) continue;
      const { state, provisional } = stored;
      if (provisional)
        stopAgent(customerId, agentId, { reason: provisional.reason, suspendedAt: provisional.at });
      else if (state.status === 'suspended' && state.suspendedAt !== null) {
        stopAgent(customerId, agentId, { reason: state.suspendedReason, suspendedAt: state.suspendedAt });
      }
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      void poll().finally(() => {
        if (total > 0) schedule();
        else timer = undefined;
      });
    }, POLL_MS);
    timer.unref();
  };

  return {
    async open(customerId, agentId, openedAt, stop) {
      const key = `${customerId}\u0000${agentId}`;
      let stopped = false;
      const stream: OpenStream = {
        openedAt,
        stop: (cause) => {
          if (stopped) return;
          stopped = true;
          stop(cause);
        },
      };
      const entry = byAgent.get(key) ?? { customerId, agentId, streams: new Set<OpenStream>() };
      byAgent.set(key, entry);
      entry.streams.add(stream);
      total++;
      const channel = channels.get(customerId) ?? {
        users: 0,
        off: deps.bus.subscribe(customerChannel(customerId), onMessage(customerId)),
      };
      channel.users++;
      channels.set(customerId, channel);
      // Not awaited: the stream's first byte does not wait for a SUBSCRIBE round trip. A suspension announced before
      // the subscription is in place is still seen by the store poll below.
      channel.off.catch(() => {});
      if (timer === undefined) schedule();
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        stopped = true;
        total--;
        entry.streams.delete(stream);
        if (entry.streams.size === 0) byAgent.delete(key);
        channel.users--;
        if (channel.users === 0) {
          channels.delete(customerId);
          void channel.off.then((off) => off()).catch(() => {});
        }
      };
    },
    count: () => total,
    async stopAll(maxMs) {
      for (const entry of byAgent.values())
        for (const stream of entry.streams) stream.stop({ kind: 'shutdown' });
      const until = Date.now() + maxMs;
      while (total > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    async close() {
      if (timer) clearTimeout(timer);
      for (const channel of channels.values()) await channel.off.then((off) => off()).catch(() => {});
      channels.clear();
      byAgent.clear();
    },
  };
}
