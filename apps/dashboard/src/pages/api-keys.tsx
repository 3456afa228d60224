import { useState } from 'preact/hooks';
import { ConfirmButton } from '../components/confirm-button';
import { LoadMore } from '../components/load-more';
import { ShownOnce } from '../components/shown-once';
import { api, errorText, withQuery } from '../lib/api';
import { useCanWrite } from '../lib/role';
import { formatTime } from '../lib/time';
import type { ApiKey, CreatedApiKey, Page } from '../lib/types';
import { useLoad, useMorePages } from '../lib/use-load';

export function ApiKeysPage() {
  const fetchPage = (cursor?: string) =>
    api.get<Page<ApiKey>>(withQuery('/v1/api-keys', { limit: 50, cursor }));
  const keys = useLoad(() => fetchPage(), []);
  const more = useMorePages(keys, fetchPage);
  const list = keys.data?.data;
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const canWrite = useCanWrite();
  return (
    <main class="page">
      <h1>API keys</h1>
      {canWrite && (
        <section class="card" aria-labelledby="new-key-title">
          <h2 id="new-key-title">Create a key</h2>
          <NewKeyForm
            onCreated={(key) => {
              setCreated(key);
              void keys.reload();
            }}
          />
          {created && (
            // The server keeps only the key's hash: this is the one time it is shown.
            <ShownOnce
              label="New API key"
              what="key"
              value={created.key}
              testId="created-key"
              onDone={() => setCreated(null)}
            />
          )}
        </section>
      )}
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        {keys.error && (
          <p class="error" role="alert">
            {keys.error}
          </p>
        )}
        {list && list.length === 0 && <p class="muted">No keys yet.</p>}
        {list && list.length > 0 && (
          <table class="table" data-testid="keys-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="visually-hidden">Revoke</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((key) => (
                <KeyRow key={key.id} apiKey={key} onRevoked={() => void keys.reload()} />
              ))}
            </tbody>
          </table>
        )}
        <LoadMore
          label="More keys"
          hasMore={Boolean(keys.data?.next_cursor)}
          onLoad={more.loadMore}
          error={more.error}
        />
      </section>
    </main>
  );
}

function KeyRow({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: () => void }) {
  const canWrite = useCanWrite();
  return (
    <tr>
      <td data-label="Name">{apiKey.name}</td>
      <td data-label="Kind">
        <div class="cell">
          {apiKey.kind}
          {apiKey.agent ? <span class="muted small"> · agent {apiKey.agent}</span> : null}
        </div>
      </td>
      <td data-label="Key" class="mono">
        {apiKey.prefix}…
      </td>
      <td data-label="Created">{formatTime(apiKey.created_at)}</td>
      <td data-label="Last used">{formatTime(apiKey.last_used_at)}</td>
      <td data-label="Revoke">
        {canWrite && (
          <ConfirmButton
            label="Revoke"
            ariaLabel={`Revoke key ${apiKey.name}`}
            confirmLabel="Confirm revoke"
            confirmAriaLabel={`Confirm revoke ${apiKey.name}`}
            onConfirm={async () => {
              await api.delete<void>(`/v1/api-keys/${encodeURIComponent(apiKey.id)}`);
              onRevoked();
            }}
          />
        )}
      </td>
    </tr>
  );
}

function NewKeyForm({ onCreated }: { onCreated: (key: CreatedApiKey) => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'ingest' | 'admin'>('ingest');
  const [agent, setAgent] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = { name: name.trim(), kind };
      if (kind === 'ingest' && agent.trim()) body.agent = agent.trim();
      const raw = await api.post<CreatedApiKey | { api_key: CreatedApiKey; key: string }>(
        '/v1/api-keys',
        body,
      );
      const key = 'api_key' in raw ? { ...raw.api_key, key: raw.key } : raw;
      onCreated(key);
      setName('');
      setAgent('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="form-row" onSubmit={submit}>
      <div class="field">
        <label for="key-name">Name</label>
        <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="key-kind">Kind</label>
        <select
          id="key-kind"
          value={kind}
          onChange={(e) => setKind(e.currentTarget.value as 'ingest' | 'admin')}
        >
          <option value="ingest">ingest — post events</option>
          <option value="admin">admin — manage everything</option>
        </select>
      </div>
      {kind === 'ingest' && (
        <div class="field">
          <label for="key-agent">Only for agent (optional)</label>
          <input id="key-agent" value={agent} onInput={(e) => setAgent(e.currentTarget.value)} />
        </div>
      )}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Create key
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
