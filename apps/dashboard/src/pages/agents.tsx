import { useRef, useState } from 'preact/hooks';
import { ArchiveButton } from '../components/archive-button';
import { EventFeed } from '../components/event-feed';
import { KillSwitch } from '../components/kill-switch';
import { LoadMore } from '../components/load-more';
import { RecentAlerts } from '../components/recent-alerts';
import { SpendBar } from '../components/spend-bar';
import { AutoCreatedBadge, StatusBadge } from '../components/status-badge';
import { agentPath, api, errorText, withQuery } from '../lib/api';
import { useLiveMessages } from '../lib/live';
import { formatUsd } from '../lib/money';
import { useCanWrite } from '../lib/role';
import { href } from '../lib/router';
import { formatSeconds, formatTime } from '../lib/time';
import type { Agent, Customer, Page, SpendEvent } from '../lib/types';
import { useLoad } from '../lib/use-load';

interface AgentsState {
  agents: Agent[];
  nextCursor: string | null;
}

const PAGE_SIZE = 100;
/** How many declined events the "Recent declines" card keeps. */
const RECENT_DECLINES = 8;

function replaceAgent(agents: Agent[], agent: Agent): Agent[] {
  const index = agents.findIndex((a) => a.name === agent.name);
  if (index === -1) return [...agents, agent];
  const copy = agents.slice();
  copy[index] = { ...agents[index], ...agent };
  return copy;
}

export function AgentsPage() {
  const [archived, setArchived] = useState(false);
  const listQuery = (cursor?: string | null) =>
    withQuery('/v1/agents', { limit: PAGE_SIZE, cursor, archived: archived ? 'true' : null });
  const loaded = useLoad<AgentsState>(async () => {
    const page = await api.get<Page<Agent>>(listQuery());
    return { agents: page.data, nextCursor: page.next_cursor };
  }, [archived]);
  const customer = useLoad(() => api.get<Customer>('/v1/customer'), []);
  const declines = useLoad(
    () => api.get<Page<SpendEvent>>(withQuery('/v1/events', { status: 'declined', limit: RECENT_DECLINES })),
    [],
  );
  const [moreError, setMoreError] = useState<string | null>(null);
  const state = loaded.data;
  const update = (fn: (agents: Agent[]) => Agent[]) =>
    loaded.setData((prev) => (prev ? { ...prev, agents: fn(prev.agents) } : prev));

  // Unknown names seen on the stream (an agent created on the fly) are fetched once, not polled.
  const fetching = useRef(new Set<string>()).current;
  async function fetchAgent(name: string) {
    if (fetching.has(name)) return;
    fetching.add(name);
    try {
      const agent = await api.get<Agent>(agentPath(name));
      update((agents) => replaceAgent(agents, agent));
    } catch {
      // The next live message for this agent will try again.
    } finally {
      fetching.delete(name);
    }
  }

  useLiveMessages(
    (message) => {
      if (message.type === 'resync') {
        void loaded.reload();
        void declines.reload();
        return;
      }
      if (message.type === 'declined') {
        const event = message.data.event;
        if (event)
          declines.setData((prev) =>
            prev ? { ...prev, data: [event, ...prev.data].slice(0, RECENT_DECLINES) } : prev,
          );
      }
      if (!state) return;
      if (message.type === 'agent') {
        // Archived or restored elsewhere: it moves between the two lists.
        if ((message.data.archived_at !== null) !== archived) {
          update((agents) => agents.filter((a) => a.name !== message.data.name));
        } else {
          update((agents) => replaceAgent(agents, message.data));
        }
      } else if (message.type === 'spend' && !archived) {
        const { agent: name, spend } = message.data;
        const known = state.agents.some((a) => a.name === name);
        if (!known) {
          // Only the last page knows about new agents; while more pages remain, "Load more" finds it.
          if (state.nextCursor === null) void fetchAgent(name);
          return;
        }
        update((agents) =>
          agents.map((a) =>
            a.name === name
              ? {
                  ...a,
                  spend,
                  // A spend message carries no event time; its arrival is within a second of the event, close
                  // enough for this column.
                  last_event_at: new Date().toISOString(),
                }
              : a,
          ),
        );
      }
    },
    [state, archived],
  );

  async function loadMore() {
    if (!state?.nextCursor) return;
    setMoreError(null);
    try {
      const page = await api.get<Page<Agent>>(listQuery(state.nextCursor));
      loaded.setData((prev) =>
        prev
          ? {
              agents: page.data.reduce(replaceAgent, prev.agents),
              nextCursor: page.next_cursor,
            }
          : prev,
      );
    } catch (err) {
      setMoreError(errorText(err));
    }
  }

  return (
    <main class="page">
      <div class="page-head">
        <h1>Agents</h1>
        <NewAgentForm onCreated={(agent) => update((agents) => replaceAgent(agents, agent))} />
        <fieldset class="segmented">
          <legend class="visually-hidden">Which agents</legend>
          {[false, true].map((value) => (
            <label key={String(value)} class={value === archived ? 'segment active' : 'segment'}>
              <input
                type="radio"
                name="archived"
                checked={value === archived}
                onChange={() => setArchived(value)}
                data-testid={value ? 'show-archived' : 'show-live'}
              />
              {value ? 'archived' : 'live'}
            </label>
          ))}
        </fieldset>
      </div>
      {customer.data && <DefaultsLine customer={customer.data} />}
      {loaded.error && (
        <p class="error" role="alert">
          {loaded.error}
        </p>
      )}
      {!state && loaded.loading && <p class="muted">Loading…</p>}
      {state && state.agents.length === 0 && (
        <p class="card muted">
          {archived
            ? 'No archived agents.'
            : 'No agents yet. Post an event with an API key and its agent appears here, or create one above.'}
        </p>
      )}
      {state && state.agents.length > 0 && (
        <table class="table agents-table" data-testid="agents-table">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Month</th>
              <th scope="col">Today</th>
              <th scope="col">Velocity</th>
              <th scope="col">Last event</th>
              <th scope="col">
                <span class="visually-hidden">Kill switch</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {state.agents.map((agent) => (
              <tr
                key={agent.name}
                data-testid="agent-row"
                data-agent={agent.name}
                class={`row-${agent.status}`}
              >
                <td data-label="Agent">
                  <div class="cell">
                    <a class="agent-name mono" href={href({ page: 'agent', name: agent.name })}>
                      {agent.name}
                    </a>
                    <StatusBadge agent={agent} />
                    <AutoCreatedBadge agent={agent} />
                  </div>
                </td>
                <td data-label="Month" data-testid="month-spend">
                  <div class="cell">
                    <SpendBar
                      label="Month"
                      spentMicros={agent.spend.month_micros}
                      limitMicros={agent.limits.month_micros}
                    />
                  </div>
                </td>
                <td data-label="Today" data-testid="day-spend">
                  <div class="cell">
                    <SpendBar
                      label="Today"
                      spentMicros={agent.spend.day_micros}
                      limitMicros={agent.limits.day_micros}
                    />
                  </div>
                </td>
                <td data-label="Velocity" data-testid="velocity-spend">
                  <div class="cell">
                    {/* Without a velocity limit the API reports no rolling-window spend (0), so show none. */}
                    {agent.limits.velocity ? (
                      <>
                        <SpendBar
                          label="Velocity"
                          spentMicros={agent.spend.velocity_micros}
                          limitMicros={agent.limits.velocity.max_micros}
                        />
                        <span class="muted small">
                          per {formatSeconds(agent.limits.velocity.window_seconds)}
                        </span>
                      </>
                    ) : (
                      <span class="muted">no limit</span>
                    )}
                  </div>
                </td>
                <td data-label="Last event">
                  <div class="cell">
                    {/* Absolute local time: a relative "5 s ago" would go stale without a ticking timer. */}
                    <time dateTime={agent.last_event_at ?? undefined} data-testid="last-event">
                      {formatTime(agent.last_event_at)}
                    </time>
                  </div>
                </td>
                <td data-label="Kill switch">
                  <div class="cell">
                    {archived ? (
                      <ArchiveButton
                        agent={agent}
                        onRestored={(a) => update((agents) => agents.filter((x) => x.name !== a.name))}
                      />
                    ) : (
                      <KillSwitch
                        agent={agent}
                        onChange={(a) => update((agents) => replaceAgent(agents, a))}
                      />
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore
        label="Load more agents"
        hasMore={Boolean(state?.nextCursor)}
        onLoad={loadMore}
        error={moreError}
      />
      <RecentAlerts />
      <section class="card" aria-labelledby="declines-title" data-testid="recent-declines">
        <h2 id="declines-title">Recent declines</h2>
        {declines.error && (
          <p class="error" role="alert">
            {declines.error}
          </p>
        )}
        {declines.data &&
          (declines.data.data.length === 0 ? (
            <p class="muted">Nothing was declined yet.</p>
          ) : (
            <EventFeed events={declines.data.data} showAgent />
          ))}
      </section>
    </main>
  );
}

/** What an agent created now gets (docs/api.md §8 "Safe by default"), so a new user sees the default at once. */
function DefaultsLine({ customer }: { customer: Customer }) {
  const month = customer.default_agent_limits.month_micros;
  return (
    <p class="muted small" data-testid="agent-defaults">
      New agents, including ones created by their first event, get{' '}
      {month === null ? 'no monthly limit' : `a ${formatUsd(month)} monthly limit`} —{' '}
      <a href={href({ page: 'settings' })}>change the defaults in Settings</a>.
    </p>
  );
}

function NewAgentForm({ onCreated }: { onCreated: (agent: Agent) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canWrite = useCanWrite();
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const agent = await api.post<Agent>('/v1/agents', { name: name.trim() });
      onCreated(agent);
      setName('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  if (!canWrite) return null;
  return (
    <form class="inline-form" onSubmit={submit}>
      <label for="new-agent-name" class="visually-hidden">
        New agent name
      </label>
      <input
        id="new-agent-name"
        placeholder="new-agent-name"
        pattern="[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}"
        required
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <button type="submit" class="btn" disabled={busy}>
        Add agent
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
