import { LoadMore } from '../components/load-more';
import { api, withQuery } from '../lib/api';
import { formatTime } from '../lib/time';
import type { AuditEntry, Page } from '../lib/types';
import { useLoad, useMorePages } from '../lib/use-load';

/** Actors and targets may be strings or objects depending on the record; show them as plain text. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const label = v.email ?? v.name ?? v.prefix ?? v.id;
    const type = v.type ?? v.kind;
    if (label !== undefined) return type ? `${String(type)} ${String(label)}` : String(label);
  }
  return JSON.stringify(value);
}

/** "agent agt_123" from the flat `*_type` / `*_id` columns; undefined when neither is there. */
function joined(type: unknown, id: unknown): string | undefined {
  const parts = [type, id].filter((v) => typeof v === 'string' && v !== '');
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function json(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
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
            const when = entry.created_at ?? entry.at ?? entry.occurred_at;
            const actor = entry.actor ?? joined(entry.actor_type, entry.actor_id);
            const target = entry.target ?? joined(entry.target_type, entry.target_id);
            return (
              <li key={entry.id} class="card audit-item">
                <div class="audit-head">
                  <strong class="mono">{entry.action ?? 'change'}</strong>
                  {target !== undefined && <span class="mono">{describe(target)}</span>}
                  <time class="muted small" dateTime={typeof when === 'string' ? when : undefined}>
                    {formatTime(typeof when === 'string' ? when : null)}
                  </time>
                </div>
                {actor !== undefined && <p class="muted small">by {describe(actor)}</p>}
                {(entry.before !== undefined || entry.after !== undefined) && (
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
