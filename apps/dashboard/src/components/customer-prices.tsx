// The settings page's prices section (docs/api.md §14): the customer's own prices, which override the bundled
// catalogue for usage-priced events; admins add, edit and remove them, viewers read them.
import { useState } from 'preact/hooks';
import { api, errorText, pricePath, withQuery } from '../lib/api';
import { draftFromPrice, EMPTY_PRICE_DRAFT, type PriceDraft, pricePut, priceText } from '../lib/prices';
import { useCanWrite } from '../lib/role';
import { formatTime } from '../lib/time';
import type { CustomerPrice, Page } from '../lib/types';
import { useLoad, useMorePages } from '../lib/use-load';
import { ConfirmButton } from './confirm-button';
import { FormMessage, type FormNote } from './form-message';
import { LoadMore } from './load-more';

export function CustomerPrices() {
  const fetchPage = (cursor?: string) =>
    api.get<Page<CustomerPrice>>(withQuery('/v1/prices/customer', { limit: 50, cursor }));
  const prices = useLoad(() => fetchPage(), []);
  const more = useMorePages(prices, fetchPage);
  const [draft, setDraft] = useState<PriceDraft>(EMPTY_PRICE_DRAFT);
  const canWrite = useCanWrite();
  const list = prices.data?.data;
  return (
    <section class="card" aria-labelledby="prices-title" data-testid="prices-section">
      <h2 id="prices-title">Your prices</h2>
      <p class="muted small">
        USD per million tokens. They replace the bundled catalogue’s prices for your usage-priced events;
        model <code>*</code> prices every model of that provider the catalogue does not know.
      </p>
      {prices.error && (
        <p class="error" role="alert">
          {prices.error}
        </p>
      )}
      {list && list.length === 0 && (
        <p class="muted">No prices of your own: the catalogue prices every call.</p>
      )}
      {list && list.length > 0 && (
        <table class="table" data-testid="prices-table">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Model</th>
              <th scope="col">Input</th>
              <th scope="col">Output</th>
              <th scope="col">Cache read</th>
              <th scope="col">Cache write</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((price) => (
              <tr key={`${price.provider}/${price.model}`} data-testid="price-row">
                <td data-label="Provider">{price.provider}</td>
                <td data-label="Model" class="mono">
                  {price.model}
                </td>
                <td data-label="Input">{priceText(price.prices.input_per_mtok_usd)}</td>
                <td data-label="Output">{priceText(price.prices.output_per_mtok_usd)}</td>
                <td data-label="Cache read">{priceText(price.prices.cache_read_per_mtok_usd)}</td>
                <td data-label="Cache write">{priceText(price.prices.cache_write_per_mtok_usd)}</td>
                <td data-label="Updated">{formatTime(price.updated_at)}</td>
                <td data-label="Actions">
                  {canWrite && (
                    <div class="cell">
                      <button
                        type="button"
                        class="btn"
                        aria-label={`Edit price ${price.provider}/${price.model}`}
                        onClick={() => setDraft(draftFromPrice(price))}
                      >
                        Edit
                      </button>
                      <ConfirmButton
                        label="Delete"
                        ariaLabel={`Delete price ${price.provider}/${price.model}`}
                        confirmLabel="Confirm delete"
                        confirmAriaLabel={`Confirm delete ${price.provider}/${price.model}`}
                        question="The catalogue prices it again."
                        onConfirm={async () => {
                          await api.delete<void>(pricePath(price.provider, price.model));
                          await prices.reload();
                        }}
                      />
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore
        label="More prices"
        hasMore={Boolean(prices.data?.next_cursor)}
        onLoad={more.loadMore}
        error={more.error}
      />
      {canWrite && <PriceForm draft={draft} onChange={setDraft} onSaved={() => void prices.reload()} />}
    </section>
  );
}

const FIELDS: Array<{ key: keyof PriceDraft; label: string; placeholder: string }> = [
  { key: 'provider', label: 'Provider', placeholder: 'openai' },
  { key: 'model', label: 'Model', placeholder: 'gpt-4o or *' },
  { key: 'input', label: 'Input', placeholder: '2.5' },
  { key: 'output', label: 'Output', placeholder: '10' },
  { key: 'cacheRead', label: 'Cache read', placeholder: 'input price' },
  { key: 'cacheWrite', label: 'Cache write', placeholder: 'input price' },
];

function PriceForm(props: { draft: PriceDraft; onChange: (d: PriceDraft) => void; onSaved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<FormNote | null>(null);
  async function submit(event: Event) {
    event.preventDefault();
    const put = pricePut(props.draft);
    if (!put.ok) {
      setMessage({ kind: 'error', text: put.error });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await api.put(pricePath(put.provider, put.model), put.body);
      props.onChange(EMPTY_PRICE_DRAFT);
      setMessage({ kind: 'ok', text: `Price saved for ${put.provider}/${put.model}.` });
      props.onSaved();
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} aria-label="Set a price">
      <h3>Set a price</h3>
      <div class="limits-grid">
        {FIELDS.map((f) => (
          <div class="field" key={f.key}>
            <label for={`price-${f.key}`}>
              {f.label}
              {f.key !== 'provider' && f.key !== 'model' ? ' (USD / M tokens)' : ''}
            </label>
            <input
              id={`price-${f.key}`}
              autoComplete="off"
              inputMode={f.key === 'provider' || f.key === 'model' ? 'text' : 'decimal'}
              placeholder={f.placeholder}
              value={props.draft[f.key]}
              onInput={(e) => props.onChange({ ...props.draft, [f.key]: e.currentTarget.value })}
            />
          </div>
        ))}
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save price'}
        </button>
      </div>
      <FormMessage message={message} />
    </form>
  );
}
