import { useEffect, useState } from 'preact/hooks';
import { CustomerPrices } from '../components/customer-prices';
import { FormMessage, type FormNote } from '../components/form-message';
import { LimitsFields } from '../components/limits-fields';
import { SpendBar } from '../components/spend-bar';
import { api, errorText } from '../lib/api';
import { draftFromLimits, type LimitsDraft, limitsPayload } from '../lib/limits';
import { microsToInput, parseUsdInput } from '../lib/money';
import { useCanWrite } from '../lib/role';
import type { Customer } from '../lib/types';
import { useLoad } from '../lib/use-load';

export function SettingsPage() {
  const customer = useLoad(() => api.get<Customer>('/v1/customer'), []);
  return (
    <main class="page">
      <h1>Customer settings</h1>
      {customer.error && (
        <p class="error" role="alert">
          {customer.error}
        </p>
      )}
      {!customer.data && customer.loading && <p class="muted">Loading…</p>}
      {customer.data && <SettingsForm customer={customer.data} onSaved={(c) => customer.setData(c)} />}
      <CustomerPrices />
    </main>
  );
}

function SettingsForm({ customer, onSaved }: { customer: Customer; onSaved: (customer: Customer) => void }) {
  const [month, setMonth] = useState(microsToInput(customer.limits.month_micros));
  const [defaults, setDefaults] = useState<LimitsDraft>(draftFromLimits(customer.default_agent_limits));
  const [autoCreate, setAutoCreate] = useState(customer.auto_create_agents);
  const [thresholds, setThresholds] = useState(customer.alert_thresholds_percent.join(', '));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<FormNote | null>(null);
  const canWrite = useCanWrite();

  useEffect(() => {
    setMonth(microsToInput(customer.limits.month_micros));
    setDefaults(draftFromLimits(customer.default_agent_limits));
    setAutoCreate(customer.auto_create_agents);
    setThresholds(customer.alert_thresholds_percent.join(', '));
  }, [customer]);

  async function submit(event: Event) {
    event.preventDefault();
    const monthParsed = parseUsdInput(month);
    if (!monthParsed.ok) {
      setMessage({ kind: 'error', text: `Customer month limit: ${monthParsed.error}` });
      return;
    }
    const defaultsParsed = limitsPayload(defaults);
    if (!defaultsParsed.ok) {
      setMessage({ kind: 'error', text: `Default agent limits — ${defaultsParsed.error}` });
      return;
    }
    const percents = parsePercents(thresholds);
    if (percents === null) {
      setMessage({
        kind: 'error',
        text: 'Alert thresholds: whole percentages separated by commas, e.g. 50, 80, 100.',
      });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const updated = await api.patch<Customer>('/v1/customer', {
        limits: { month_usd: monthParsed.value },
        default_agent_limits: defaultsParsed.value,
        auto_create_agents: autoCreate,
        // Range, repeats and count are the API's to check: its message names what is wrong.
        alert_thresholds_percent: percents,
      });
      onSaved(updated);
      setMessage({ kind: 'ok', text: 'Settings saved.' });
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit}>
      <fieldset class="bare" disabled={!canWrite}>
        <section class="card" aria-labelledby="customer-limit-title">
          <h2 id="customer-limit-title">Company budget</h2>
          <SpendBar
            label="Company month"
            spentMicros={customer.spend.month_micros}
            limitMicros={customer.limits.month_micros}
          />
          <div class="field">
            <label for="customer-month">Month limit for all agents together (USD)</label>
            <div class="input-usd">
              <span aria-hidden="true">$</span>
              <input
                id="customer-month"
                inputMode="decimal"
                autoComplete="off"
                placeholder="no limit"
                value={month}
                onInput={(e) => setMonth(e.currentTarget.value)}
              />
            </div>
          </div>
        </section>
        <section class="card" aria-labelledby="defaults-title">
          <h2 id="defaults-title">Default limits for new agents</h2>
          <LimitsFields idPrefix="default-limit" draft={defaults} onChange={setDefaults} disabled={busy} />
          <div class="field checkbox">
            <input
              id="auto-create"
              type="checkbox"
              checked={autoCreate}
              onChange={(e) => setAutoCreate(e.currentTarget.checked)}
            />
            <label for="auto-create">
              Create unknown agents on their first event (with the defaults above)
            </label>
          </div>
        </section>
        <section class="card" aria-labelledby="alerts-title">
          <h2 id="alerts-title">Budget alerts</h2>
          <div class="field">
            <label for="alert-thresholds">
              Alert at these percentages of each limit (agents’ month and day, the company’s month)
            </label>
            <input
              id="alert-thresholds"
              inputMode="numeric"
              autoComplete="off"
              placeholder="none"
              value={thresholds}
              onInput={(e) => setThresholds(e.currentTarget.value)}
            />
            <p class="muted small">
              Each fires once per period, as a budget.threshold alert to the endpoints on the Webhooks page.
            </p>
          </div>
        </section>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
        </div>
        <FormMessage message={message} />
      </fieldset>
    </form>
  );
}

/** "50, 80 100" → [50, 80, 100]; "" → []; null when a part is not a whole number. */
function parsePercents(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (!parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  return parts.map(Number);
}
