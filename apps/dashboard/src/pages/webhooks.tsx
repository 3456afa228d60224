// Webhooks (docs/api.md §13): add an endpoint (its signing secret shown once), send it a test, read its delivery log
// and deliver an alert again. Viewers read; admins change.
import { useState } from 'preact/hooks';
import { ConfirmButton } from '../components/confirm-button';
import { LoadMore } from '../components/load-more';
import { ShownOnce } from '../components/shown-once';
import { api, errorText, withQuery } from '../lib/api';
import { useCanWrite } from '../lib/role';
import { formatTime } from '../lib/time';
import type { CreatedWebhookEndpoint, Page, WebhookDelivery, WebhookEndpoint } from '../lib/types';
import { useLoad, useMorePages } from '../lib/use-load';

type EventType = WebhookEndpoint['events'][number];

/** The alert types a person subscribes to (webhook.test is sent by the Test button whatever is chosen). */
const SUBSCRIBABLE: { type: EventType; label: string }[] = [
  { type: 'budget.threshold', label: 'Budget thresholds (the customer’s alert percentages of each limit)' },
  { type: 'agent.suspended', label: 'Agent suspended' },
  { type: 'agent.resumed', label: 'Agent resumed' },
];

export function WebhooksPage() {
  const fetchPage = (cursor?: string) =>
    api.get<Page<WebhookEndpoint>>(withQuery('/v1/webhooks', { limit: 50, cursor }));
  const endpoints = useLoad(() => fetchPage(), []);
  const more = useMorePages(endpoints, fetchPage);
  const [created, setCreated] = useState<CreatedWebhookEndpoint | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const canWrite = useCanWrite();
  const list = endpoints.data?.data;
  return (
    <main class="page">
      <h1>Webhooks</h1>
      {canWrite && (
        <section class="card" aria-labelledby="new-webhook-title">
          <h2 id="new-webhook-title">Add an endpoint</h2>
          <NewEndpointForm
            onCreated={(endpoint) => {
              setCreated(endpoint);
              setOpen(endpoint.id);
              void endpoints.reload();
            }}
          />
          {created && (
            <ShownOnce
              label="Signing secret"
              what="signing secret"
              value={created.secret}
              testId="webhook-secret"
              onDone={() => setCreated(null)}
            />
          )}
        </section>
      )}
      <section class="card" aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Endpoints</h2>
        {endpoints.error && (
          <p class="error" role="alert">
            {endpoints.error}
          </p>
        )}
        {list && list.length === 0 && (
          <p class="muted">
            No endpoints yet. Alerts are signed; docs/operations.md shows how to verify them.
          </p>
        )}
        {list?.map((endpoint) => (
          <EndpointItem
            key={endpoint.id}
            endpoint={endpoint}
            open={open === endpoint.id}
            onToggle={() => setOpen(open === endpoint.id ? null : endpoint.id)}
            onDeleted={() => void endpoints.reload()}
          />
        ))}
        <LoadMore
          label="More endpoints"
          hasMore={Boolean(endpoints.data?.next_cursor)}
          onLoad={more.loadMore}
          error={more.error}
        />
      </section>
    </main>
  );
}

function EndpointItem(props: {
  endpoint: WebhookEndpoint;
  open: boolean;
  onToggle: () => void;
  onDeleted: () => void;
}) {
  const { endpoint } = props;
  const canWrite = useCanWrite();
  const [message, setMessage] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  async function sendTest() {
    setMessage(null);
    try {
      await api.post<{ event_id: string }>(`/v1/webhooks/${encodeURIComponent(endpoint.id)}/test`);
      setMessage('Test alert queued.');
      setRefresh((n) => n + 1);
    } catch (err) {
      setMessage(errorText(err));
    }
  }
  return (
    <div class="webhook" data-testid="webhook-endpoint" data-url={endpoint.url}>
      <div class="webhook-head">
        <div>
          <div class="mono">{endpoint.url}</div>
          <div class="muted small">
            {endpoint.events.join(', ')}
            {endpoint.description ? ` · ${endpoint.description}` : ''} · added{' '}
            {formatTime(endpoint.created_at)}
          </div>
        </div>
        <div class="form-actions">
          <button type="button" class="btn btn-small" aria-expanded={props.open} onClick={props.onToggle}>
            {props.open ? 'Hide deliveries' : 'Deliveries'}
          </button>
          {canWrite && (
            <button type="button" class="btn btn-small" onClick={sendTest}>
              Send test
            </button>
          )}
          {canWrite && (
            <ConfirmButton
              label="Delete"
              ariaLabel={`Delete endpoint ${endpoint.url}`}
              confirmLabel="Confirm delete"
              confirmAriaLabel={`Confirm delete ${endpoint.url}`}
              question="No new alerts will be sent to it."
              onConfirm={async () => {
                await api.delete<void>(`/v1/webhooks/${encodeURIComponent(endpoint.id)}`);
                props.onDeleted();
              }}
            />
          )}
        </div>
      </div>
      {message && (
        <p class="muted small" role="status">
          {message}
        </p>
      )}
      {props.open && <Deliveries endpointId={endpoint.id} refresh={refresh} />}
    </div>
  );
}

function Deliveries({ endpointId, refresh }: { endpointId: string; refresh: number }) {
  const base = `/v1/webhooks/${encodeURIComponent(endpointId)}/deliveries`;
  const fetchPage = (cursor?: string) =>
    api.get<Page<WebhookDelivery>>(withQuery(base, { limit: 20, cursor }));
  const deliveries = useLoad(() => fetchPage(), [endpointId, refresh]);
  const more = useMorePages(deliveries, fetchPage);
  const canWrite = useCanWrite();
  const [error, setError] = useState<string | null>(null);
  const list = deliveries.data?.data;
  async function retry(id: string) {
    setError(null);
    try {
      await api.post<unknown>(`${base}/${encodeURIComponent(id)}/retry`);
      await deliveries.reload();
    } catch (err) {
      setError(errorText(err));
    }
  }
  return (
    <div class="webhook-deliveries">
      <div class="form-actions">
        <button type="button" class="btn btn-small" onClick={() => void deliveries.reload()}>
          Refresh
        </button>
      </div>
      {(deliveries.error || error) && (
        <p class="error" role="alert">
          {deliveries.error ?? error}
        </p>
      )}
      {list && list.length === 0 && <p class="muted small">No alerts sent to this endpoint yet.</p>}
      {list && list.length > 0 && (
        <table class="table" data-testid="deliveries-table">
          <thead>
            <tr>
              <th scope="col">Alert</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Created</th>
              <th scope="col">Next attempt</th>
              <th scope="col">
                <span class="visually-hidden">Retry</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((d) => (
              <tr key={d.id} data-testid="delivery-row" data-status={d.status} data-type={d.type}>
                <td data-label="Alert">
                  <div class="cell">
                    {d.type}
                    <span class="muted small mono"> {d.event_id}</span>
                  </div>
                </td>
                <td data-label="Status">{d.status}</td>
                <td data-label="Attempts">{d.attempt}</td>
                <td data-label="Last answer">
                  {d.error ?? (d.response_status === null ? '—' : String(d.response_status))}
                </td>
                <td data-label="Created">{formatTime(d.created_at)}</td>
                <td data-label="Next attempt">{formatTime(d.next_attempt_at)}</td>
                <td data-label="Retry">
                  {canWrite && (
                    <button
                      type="button"
                      class="btn btn-small"
                      aria-label={`Deliver ${d.type} ${d.event_id} again`}
                      onClick={() => void retry(d.id)}
                    >
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore
        label="Older deliveries"
        hasMore={Boolean(deliveries.data?.next_cursor)}
        onLoad={more.loadMore}
        error={more.error}
      />
    </div>
  );
}

function NewEndpointForm({ onCreated }: { onCreated: (endpoint: CreatedWebhookEndpoint) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<EventType[]>(SUBSCRIBABLE.map((s) => s.type));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { url: url.trim(), events };
      if (description.trim()) body.description = description.trim();
      onCreated(await api.post<CreatedWebhookEndpoint>('/v1/webhooks', body));
      setUrl('');
      setDescription('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  const toggle = (type: EventType, on: boolean) =>
    setEvents((now) => (on ? [...now, type] : now.filter((t) => t !== type)));
  return (
    <form class="form-row" onSubmit={submit}>
      <div class="field">
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          required
          placeholder="https://hooks.example.com/spendguard"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="webhook-description">Description (optional)</label>
        <input
          id="webhook-description"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </div>
      <fieldset class="bare">
        <legend class="visually-hidden">Alerts to send</legend>
        {SUBSCRIBABLE.map((s) => (
          <div key={s.type} class="field checkbox">
            <input
              id={`webhook-event-${s.type}`}
              type="checkbox"
              checked={events.includes(s.type)}
              onChange={(e) => toggle(s.type, e.currentTarget.checked)}
            />
            <label for={`webhook-event-${s.type}`}>{s.label}</label>
          </div>
        ))}
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || events.length === 0}>
          Add endpoint
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
