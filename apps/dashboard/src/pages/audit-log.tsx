import { LoadMore } from '../components/load-more';
import { api, withQuery } from '../lib/api';
import { formatTime } from '../lib/time';
import type { AuditEntry, Page } from '../lib/types';
import { useLoad, useMorePages } from '../lib/use-load';

/** "agent agt_123" from an entry's `*_type` / `*_id` pair; just the type when there is no id (the system). */
function joined(type: string, id: string | null): string {
  return id ? `${type} ${id}` : type;
}

function json(value: unknown): string {
  return value === null ? '—' : JSON.stringify(value, null, 2);
}

export function AuditLogPage() {
  const fetchPage = (cursor?: string) =>
    api.get<Page<AuditEntry>>(withQuery('/v1/audit-log', { limit: 50, cursor }));
  const log = useLoad(() => fetchPage(), []);
  const more = useMorePages(log, fetchPage);

  return (
    <main class="page">
      <h1>Audit log</h1>
      {log.error && (
        <p class="error" role="alert">
          {log.error}
        </p>
      )}
      {!log.data && log.loading && <p class="muted">Loading…</p>}
      {log.data && log.data.data.length === 0 && <p class="muted">Nothing has changed yet.</p>}
      {log.data && log.data.data.length > 0 && (
        <ul class="audit" data-testid="audit-list">
          {log.data.data.map((entry) => {
            const actor = joined(entry.actor_type, entry.actor_id);
            const target = joined(entry.target_type, entry.target_id);
            return (
              <li key={entry.id} class="card audit-item">
                <div class="audit-head">
                  <strong class="mono">{entry.action}</strong>
                  <span class="mono">{target}</span>
                  <time class="muted small" dateTime={entry.created_at}>
                    {formatTime(entry.created_at)}
                  </time>
                </div>
                <p class="muted small">by {actor}</p>
                {(entry.before !== null || entry.after !== null) && (
                  <details>
                    <summary>Before / after</summary>
                    <div class="diff">
                      <div>
                        <h3 class="stat-label">Before</h3>
                        <pre>{json(entry.before)}</pre>
                      </div>
                      <div>
                        <h3 class="stat-label">After</h3>
                        <pre>{json(entry.after)}</pre>
                      </div>
                    </div>
                  </details>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <LoadMore
        label="Older entries"
        hasMore={Boolean(log.data?.next_cursor)}
        onLoad={more.loadMore}
        error={more.error}
      />
    </main>
  );
}
