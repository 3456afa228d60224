import { useEffect, useRef, useState } from 'preact/hooks';
import { ArchiveButton } from '../components/archive-button';
import { EventFeed } from '../components/event-feed';
import { KillSwitch } from '../components/kill-switch';
import { LimitsEditor } from '../components/limits-editor';
import { LoadMore } from '../components/load-more';
import { ModelSpendTable } from '../components/model-spend';
import { SpendBar } from '../components/spend-bar';
import { SpendChart } from '../components/spend-chart';
import { AutoCreatedBadge, StatusBadge } from '../components/status-badge';
import { agentPath, api, withQuery } from '../lib/api';
import { BUCKET_COUNT, BUCKET_MS, denseBuckets } from '../lib/buckets';
import { modelTotals } from '../lib/by-model';
import { useLiveMessages } from '../lib/live';
import { formatUsd } from '../lib/money';
import { href, navigate } from '../lib/router';
import { liftHint, suspensionText } from '../lib/suspension';
import { formatSeconds, formatTime } from '../lib/time';
import type { Agent, Granularity, Page, Reservation, SpendEvent, Timeseries } from '../lib/types';
import { useLoad, useMorePages } from '../lib/use-load';

type StatusFilter = '' | 'accepted' | 'declined';

/** Calls `fn` once, `ms` after the last request — so a burst of live messages costs one refetch. */
function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  };
}

export function AgentDetailPage({ name }: { name: string }) {
  const agent = useLoad(() => api.get<Agent>(agentPath(name)), [name]);
  const [granularity, setGranularity] = useState<Granularity>('minute');
  const series = useLoad(async () => {
    const from = new Date(Date.now() - BUCKET_COUNT[granularity] * BUCKET_MS[granularity]).toISOString();
    // One request for the chart and the by-model table: the split buckets carry the unsplit totals too.
    return api.get<Timeseries>(
      withQuery(`${agentPath(name)}/timeseries`, { granularity, from, by: 'model' }),
    );
  }, [name, granularity]);
  const [statusFilter, setStatusFilter] = useState<StatusFilter>('');
  const fetchEvents = (cursor?: string) =>
    api.get<Page<SpendEvent>>(
      withQuery('/v1/events', { agent: name, status: statusFilter, limit: 50, cursor }),
    );
  const events = useLoad(() => fetchEvents(), [name, statusFilter]);
  const moreEvents = useMorePages(events, fetchEvents);
  const holds = useLoad(
    () => api.get<Page<Reservation>>(withQuery('/v1/reservations', { agent: name, status: 'held' })),
    [name],
  );

  const refetchEvents = useDebounced(() => void events.reload(), 150);
  const refetchSide = useDebounced(() => {
    void series.reload();
    void holds.reload();
  }, 500);

  function addEvent(event: SpendEvent | undefined) {
    if (!event || (statusFilter && event.status !== statusFilter)) {
      refetchEvents();
      return;
    }
    events.setData((prev) =>
      prev ? { ...prev, data: [event, ...prev.data.filter((e) => e.id !== event.id)] } : prev,
    );
  }

  useLiveMessages(
    (message) => {
      if (message.type === 'resync') {
        void agent.reload();
        void events.reload();
        refetchSide();
        return;
      }
      const subject = message.type === 'agent' ? message.data.name : message.data.agent;
      if (subject !== name) return;
      if (message.type === 'agent') {
        agent.setData((prev) => (prev ? { ...prev, ...message.data } : message.data));
      } else if (message.type === 'spend') {
        agent.setData((prev) => (prev ? { ...prev, spend: message.data.spend } : prev));
        // A spend message carries the new spend, not the event: read the list again (debounced).
        refetchEvents();
        refetchSide();
      } else {
        addEvent(message.data.event);
      }
    },
    [name, statusFilter],
  );

  const a = agent.data;
  return (
    <main class="page">
      <p class="breadcrumb">
        <a href={href({ page: 'agents' })}>← Agents</a>
      </p>
      {agent.error && (
        <p class="error" role="alert">
          {agent.error}
        </p>
      )}
      {!a && agent.loading && <p class="muted">Loading…</p>}
      {a && (
        <>
          <div class="page-head">
            <h1 class="mono agent-title" data-testid="agent-title">
              {a.name}
            </h1>
            <StatusBadge agent={a} />
            <AutoCreatedBadge agent={a} />
            <KillSwitch agent={a} onChange={(next) => agent.setData(next)} />
            <ArchiveButton
              agent={a}
              onArchived={() => navigate({ page: 'agents' })}
              onRestored={(next) => agent.setData(next)}
            />
          </div>
          {a.archived_at && (
            <p class="notice" data-testid="archived-notice">
              Archived {formatTime(a.archived_at)}: its events are refused (404) and it is not created again
              until restored.
            </p>
          )}
          {a.status === 'suspended' && (
            <p class="notice" data-testid="suspension-notice">
              <strong>{suspensionText(a, Date.now())}</strong>
              <br />
              {liftHint(a)}
            </p>
          )}
          <section class="card stats" aria-label="Current spend">
            <div>
              <h2 class="stat-label">This month</h2>
              <SpendBar
                label="Month"
                spentMicros={a.spend.month_micros}
                limitMicros={a.limits.month_micros}
              />
            </div>
            <div>
              <h2 class="stat-label">Today</h2>
              <SpendBar label="Today" spentMicros={a.spend.day_micros} limitMicros={a.limits.day_micros} />
            </div>
            <div>
              <h2 class="stat-label">
                Velocity{a.limits.velocity ? ` (${formatSeconds(a.limits.velocity.window_seconds)})` : ''}
              </h2>
              {a.limits.velocity ? (
                <SpendBar
                  label="Velocity"
                  spentMicros={a.spend.velocity_micros}
                  limitMicros={a.limits.velocity.max_micros}
                />
              ) : (
                <p class="amount">no limit</p>
              )}
            </div>
            <div>
              <h2 class="stat-label">Per run</h2>
              <p class="amount">
                {a.limits.run_micros === null ? 'no limit' : formatUsd(a.limits.run_micros)}
              </p>
            </div>
          </section>
        </>
      )}

      <section class="card" aria-labelledby="chart-title">
        <div class="section-head">
          <h2 id="chart-title">Spend over time</h2>
          <fieldset class="segmented">
            <legend class="visually-hidden">Granularity</legend>
            {(['minute', 'hour', 'day'] as const).map((g) => (
              <label key={g} class={g === granularity ? 'segment active' : 'segment'}>
                <input
                  type="radio"
                  name="granularity"
                  value={g}
                  checked={g === granularity}
                  onChange={() => setGranularity(g)}
                />
                {g}
              </label>
            ))}
          </fieldset>
        </div>
        {series.error && (
          <p class="error" role="alert">
            {series.error}
          </p>
        )}
        {series.data && (
          <SpendChart
            buckets={denseBuckets(series.data.data, granularity, Date.now())}
            granularity={granularity}
          />
        )}
      </section>

      <section class="card" aria-labelledby="models-title">
        <div class="section-head">
          <h2 id="models-title">Spend by model</h2>
          <span class="muted small" data-testid="model-range">
            last {BUCKET_COUNT[granularity]} {granularity}s
          </span>
        </div>
        {series.data && (
          <ModelSpendTable
            rows={modelTotals(series.data.data, granularity, Date.now())}
            range={`last ${BUCKET_COUNT[granularity]} ${granularity}s`}
          />
        )}
      </section>

      {a && (
        <section class="card" aria-labelledby="limits-title">
          <h2 id="limits-title">Limits</h2>
          <LimitsEditor agent={a} onSaved={(next) => agent.setData(next)} />
        </section>
      )}

      <section class="card" aria-labelledby="holds-title">
        <h2 id="holds-title">Open reservations</h2>
        {holds.error && (
          <p class="error" role="alert">
            {holds.error}
          </p>
        )}
        {holds.data && holds.data.data.length === 0 && <p class="muted">No budget is held right now.</p>}
        {holds.data && holds.data.data.length > 0 && (
          <table class="table" data-testid="reservations-table">
            <thead>
              <tr>
                <th scope="col">Reservation</th>
                <th scope="col">Held</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {holds.data.data.map((r) => (
                <tr key={r.id}>
                  <td data-label="Reservation" class="mono">
                    {r.id}
                  </td>
                  <td data-label="Held" data-testid="held-amount">
                    {formatUsd(r.amount_micros)}
                  </td>
                  <td data-label="Expires">{formatTime(r.expires_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="card" aria-labelledby="feed-title">
        <div class="section-head">
          <h2 id="feed-title">Events</h2>
          <label class="inline-label">
            Show{' '}
            <select
              value={statusFilter}
              onChange={(e) => setStatusFilter(e.currentTarget.value as StatusFilter)}
            >
              <option value="">all</option>
              <option value="accepted">accepted</option>
              <option value="declined">declined</option>
            </select>
          </label>
        </div>
        {events.error && (
          <p class="error" role="alert">
            {events.error}
          </p>
        )}
        {events.data && <EventFeed events={events.data.data} />}
        <LoadMore
          label="Older events"
          hasMore={Boolean(events.data?.next_cursor)}
          onLoad={moreEvents.loadMore}
          error={moreEvents.error}
        />
      </section>
    </main>
  );
}
