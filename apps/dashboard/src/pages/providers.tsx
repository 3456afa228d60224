// The LLM gateway's provider credentials (SPEC §12): which provider has a key, and for admins setting, replacing and
// deleting it. The key is typed into a password field the page does not control, read once for the PUT and cleared;
// the server answers with its hint only, so nothing on the page can show it again.
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ConfirmButton } from '../components/confirm-button';
import { FormMessage, type FormNote } from '../components/form-message';
import { api, errorText } from '../lib/api';
import {
  baseUrlText,
  customBaseUrl,
  gatewayBaseUrl,
  lastUsedText,
  PROVIDERS,
  type ProviderRow,
  providerPath,
  providerPut,
  providerRows,
} from '../lib/providers';
import { useCanWrite } from '../lib/role';
import { href } from '../lib/router';
import { formatTime } from '../lib/time';
import type { ProviderCredential } from '../lib/types';
import { useLoad } from '../lib/use-load';

export function ProvidersPage() {
  const providers = useLoad(() => api.get<{ data: ProviderCredential[] }>('/v1/providers'), []);
  const canWrite = useCanWrite();
  return (
    <main class="page">
      <h1>Providers</h1>
      <p class="muted">
        Spendguard holds your LLM providers’ API keys, and agents call the providers through it: a suspended
        or over-budget agent cannot spend, whatever its code does. A key is stored encrypted and never shown
        again — only its last characters.
      </p>
      {providers.error && (
        <p class="error" role="alert">
          {providers.error}
        </p>
      )}
      {!providers.data && providers.loading && <p class="muted">Loading…</p>}
      {providers.data &&
        providerRows(providers.data.data).map((row) => (
          <ProviderCard
            key={row.info.id}
            row={row}
            canWrite={canWrite}
            onChanged={() => providers.reload()}
          />
        ))}
      {!canWrite && <p class="muted small">Only an admin can set or delete a provider key.</p>}
      <HowAgentsUseIt />
    </main>
  );
}

function ProviderCard(props: { row: ProviderRow; canWrite: boolean; onChanged: () => Promise<void> }) {
  const { info, credential } = props.row;
  const titleId = `provider-${info.id}-title`;
  return (
    <section class="card" aria-labelledby={titleId} data-testid="provider-card" data-provider={info.id}>
      <div class="section-head">
        <h2 id={titleId}>{info.label}</h2>
        <span class={credential ? 'badge badge-active' : 'badge badge-auto'} data-testid="provider-state">
          {credential ? 'configured' : 'not configured'}
        </span>
      </div>
      {credential ? (
        <dl class="facts">
          <dt>Key</dt>
          <dd class="mono" data-testid="key-hint">
            {credential.key_hint}
          </dd>
          <dt>Base URL</dt>
          <dd class="mono" data-testid="provider-base-url">
            {baseUrlText(info, credential)}
          </dd>
          <dt>Updated</dt>
          <dd data-testid="provider-updated">{formatTime(credential.updated_at)}</dd>
          <dt>Last used</dt>
          <dd data-testid="provider-last-used">{lastUsedText(credential.last_used_at)}</dd>
        </dl>
      ) : (
        <p class="muted">
          No key: agents cannot call {info.label} through Spendguard until an admin sets one.
        </p>
      )}
      {props.canWrite && <KeyForm row={props.row} onSaved={props.onChanged} />}
      {props.canWrite && credential && (
        <ConfirmButton
          label="Delete key"
          ariaLabel={`Delete ${info.label} key`}
          confirmLabel="Confirm delete"
          confirmAriaLabel={`Confirm delete ${info.label} key`}
          question={`Agents can no longer call ${info.label} through Spendguard.`}
          testId={`delete-${info.id}`}
          onConfirm={async () => {
            await api.delete<void>(providerPath(info.id));
            await props.onChanged();
          }}
        />
      )}
    </section>
  );
}

function KeyForm({ row, onSaved }: { row: ProviderRow; onSaved: () => Promise<void> }) {
  const { info, credential } = row;
  // Uncontrolled on purpose: the key lives in the input until submit, never in component state.
  const keyInput = useRef<HTMLInputElement>(null);
  // The base URL is no secret: a replaced key keeps the one in force unless it is cleared.
  const current = customBaseUrl(info, credential);
  const [baseUrl, setBaseUrl] = useState(current);
  useEffect(() => setBaseUrl(current), [current]);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<FormNote | null>(null);
  const keyId = `provider-${info.id}-key`;
  const urlId = `provider-${info.id}-base-url`;
  const hintId = `${urlId}-hint`;

  async function submit(event: Event) {
    event.preventDefault();
    const input = keyInput.current;
    const put = providerPut(input?.value ?? '', baseUrl);
    if (input) input.value = ''; // read once; whatever happens next, the page no longer has it
    if (!put.ok) {
      setMessage({ kind: 'error', text: put.error });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const saved = await api.put<ProviderCredential>(providerPath(info.id), put.body);
      setMessage({ kind: 'ok', text: `${info.label} key saved (${saved.key_hint}).` });
      await onSaved();
    } catch (err) {
      setMessage({ kind: 'error', text: `${errorText(err)} The key was not saved; enter it again.` });
    } finally {
      setBusy(false);
    }
  }

  return (
    // method="post": were the handler ever to fail, the browser would not put the key into a URL.
    <form method="post" onSubmit={submit} aria-label={`Set the ${info.label} key`}>
      <div class="provider-form">
        <div class="field">
          <label for={keyId}>{credential ? 'New API key' : 'API key'}</label>
          <input
            id={keyId}
            ref={keyInput}
            type="password"
            class="mono"
            autoComplete="off"
            spellcheck={false}
            required
            placeholder={info.id === 'anthropic' ? 'sk-ant-…' : 'sk-…'}
          />
        </div>
        <div class="field">
          <label for={urlId}>Base URL (optional)</label>
          <input
            id={urlId}
            class="mono"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            placeholder={info.defaultBaseUrl}
            aria-describedby={hintId}
            value={baseUrl}
            onInput={(e) => setBaseUrl(e.currentTarget.value)}
          />
          <span id={hintId} class="muted small">
            Empty: {info.label}’s public API, <code>{info.defaultBaseUrl}</code>. Another {info.label}
            -compatible server: its base URL as the official client takes it.
          </span>
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : credential ? 'Replace key' : 'Save key'}
        </button>
      </div>
      <FormMessage message={message} />
    </form>
  );
}

function HowAgentsUseIt() {
  const origin = window.location.origin;
  return (
    <section class="card" aria-labelledby="how-title" data-testid="how-agents">
      <h2 id="how-title">How agents use it</h2>
      <p>
        The agent keeps the provider’s official client and changes two settings: the base URL below, and as{' '}
        <code>apiKey</code> its Spendguard <strong>ingest key</strong> (<code>sg_ingest_…</code>, from{' '}
        <a href={href({ page: 'keys' })}>API keys</a>) — never the provider’s key. Every call is checked
        against the agent’s budget before it is forwarded and charged at the usage the provider reports.
      </p>
      <dl class="facts">
        {PROVIDERS.map((info) => (
          <Fragment key={info.id}>
            <dt>{info.label}</dt>
            <dd class="mono" data-testid={`gateway-url-${info.id}`}>
              {gatewayBaseUrl(origin, info)}
            </dd>
          </Fragment>
        ))}
      </dl>
      <pre class="snippet">
        <code>
          {PROVIDERS.map(
            (info) =>
              `new ${info.client}({ baseURL: '${gatewayBaseUrl(origin, info)}', apiKey: process.env.SPENDGUARD_INGEST_KEY });\n`,
          ).join('')}
        </code>
      </pre>
      <p class="muted small">
        The agent is the one the ingest key is bound to; a key for several agents names it in an{' '}
        <code>X-Spendguard-Agent</code> header.
      </p>
    </section>
  );
}
