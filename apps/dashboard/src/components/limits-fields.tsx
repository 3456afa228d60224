// Form fields for a full set of limits; shared by the agent limits editor and the customer's defaults.
import type { LimitsDraft } from '../lib/limits';

interface Props {
  idPrefix: string;
  draft: LimitsDraft;
  onChange: (draft: LimitsDraft) => void;
  disabled?: boolean;
}

function UsdField(props: {
  id: string;
  label: string;
  hint: string;
  value: string;
  disabled?: boolean;
  onInput: (value: string) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <div class="input-usd">
        <span aria-hidden="true">$</span>
        <input
          id={props.id}
          name={props.id}
          inputMode="decimal"
          autoComplete="off"
          placeholder="no limit"
          value={props.value}
          disabled={props.disabled}
          aria-describedby={`${props.id}-hint`}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      </div>
      <small id={`${props.id}-hint`} class="muted">
        {props.hint}
      </small>
    </div>
  );
}

/** A whole-number field (a count or seconds), with its hint. */
function CountField(props: {
  id: string;
  label: string;
  hint?: string;
  placeholder: string;
  value: string;
  disabled?: boolean;
  onInput: (value: string) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        inputMode="numeric"
        autoComplete="off"
        placeholder={props.placeholder}
        value={props.value}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.hint && (
        <small id={`${props.id}-hint`} class="muted">
          {props.hint}
        </small>
      )}
    </div>
  );
}

export function LimitsFields({ idPrefix, draft, onChange, disabled }: Props) {
  const set = (field: keyof LimitsDraft) => (value: string) => onChange({ ...draft, [field]: value });
  return (
    <div class="limits-grid">
      <UsdField
        id={`${idPrefix}-month`}
        label="Month limit (USD)"
        hint="Calendar month, UTC."
        value={draft.month}
        disabled={disabled}
        onInput={set('month')}
      />
      <UsdField
        id={`${idPrefix}-day`}
        label="Day limit (USD)"
        hint="Calendar day, UTC."
        value={draft.day}
        disabled={disabled}
        onInput={set('day')}
      />
      <UsdField
        id={`${idPrefix}-run`}
        label="Per-run limit (USD)"
        hint="What one run may spend."
        value={draft.run}
        disabled={disabled}
        onInput={set('run')}
      />
      <CountField
        id={`${idPrefix}-velocity-window`}
        label="Velocity window (seconds)"
        placeholder="e.g. 60"
        value={draft.velocityWindow}
        disabled={disabled}
        onInput={set('velocityWindow')}
      />
      <UsdField
        id={`${idPrefix}-velocity-max`}
        label="Velocity limit (USD per window)"
        hint="Rolling window; empty both for none."
        value={draft.velocityMax}
        disabled={disabled}
        onInput={set('velocityMax')}
      />
      <CountField
        id={`${idPrefix}-repeats-max`}
        label="Repeats (calls per window)"
        hint="Loop detection: more calls with one fingerprint suspend the agent; empty both for none."
        placeholder="no limit"
        value={draft.repeatsMax}
        disabled={disabled}
        onInput={set('repeatsMax')}
      />
      <CountField
        id={`${idPrefix}-repeats-window`}
        label="Repeats window (seconds)"
        hint="Up to 86400 (one day)."
        placeholder="e.g. 300"
        value={draft.repeatsWindow}
        disabled={disabled}
        onInput={set('repeatsWindow')}
      />
    </div>
  );
}
