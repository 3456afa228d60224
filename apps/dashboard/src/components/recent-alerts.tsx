// "Recent alerts" on the agents page (in-app alerts, docs/api.md §13): the last alerts of the customer, also when no
// webhook endpoint is set. Reloaded after the live stream says an agent changed (a suspension or resume has its alert
// in the same transaction) and, shortly after spend arrives, for threshold alerts (written about a second after the
// spend that crossed them).
import { useEffect, useRef } from 'preact/hooks';
import { alertText } from '../lib/alerts';
import { api, withQuery } from '../lib/api';
import { useLiveMessages } from '../lib/live';
import { formatTime } from '../lib/time';
import type { Alert, Page } from '../lib/types';
import { useLoad } from '../lib/use-load';

const SHOWN = 6;
/** After spend arrives, when to look for the threshold alerts it may have crossed. */
const AFTER_SPEND_MS = 2_500;

export function RecentAlerts() {
  const alerts = useLoad(() => api.get<Page<Alert>>(withQuery('/v1/alerts', { limit: SHOWN })), []);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );
  useLiveMessages(
    (message) => {
      if (message.type === 'agent' || message.type === 'resync') {
        void alerts.reload();
      } else if (message.type === 'spend' && !pending.current) {
        pending.current = setTimeout(() => {
          pending.current = null;
          void alerts.reload();
        }, AFTER_SPEND_MS);
      }
    },
    [alerts.reload],
  );
  const list = alerts.data?.data;
  return (
    <section class="card" aria-labelledby="alerts-title" data-testid="recent-alerts">
      <h2 id="alerts-title">Recent alerts</h2>
      {alerts.error && (
        <p class="error" role="alert">
          {alerts.error}
        </p>
      )}
      {list && list.length === 0 && (
        <p class="muted">
          No alerts yet. Budget thresholds and suspensions show here, and go to the endpoints on the{' '}
          <a href="#/webhooks">Webhooks</a> page.
        </p>
      )}
      {list && list.length > 0 && (
        <ul class="alert-list">
          {list.map((alert) => (
            <li key={alert.id} data-testid="alert-item" data-type={alert.type}>
              <span>{alertText(alert)}</span> <span class="muted small">{formatTime(alert.created_at)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
