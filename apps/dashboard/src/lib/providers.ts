// The LLM gateway's provider credentials (SPEC §12) on the providers page, and how gateway calls show in the event
// feed. The server keeps the key encrypted and only ever answers with its hint; the page never holds the key longer
// than the one PUT that sends it.

import { formatTime } from './time';
import type { ProviderCredential, SpendEvent } from './types';

export interface ProviderInfo {
  id: 'openai' | 'anthropic';
  label: string;
  /** What the provider's official client takes as baseURL when none is set (the gateway's default upstream). */
  defaultBaseUrl: string;
  /** The gateway's base URL for this provider, after the Spendguard origin: what the agent's client sets. */
  gatewayPath: string;
  /** The official client's constructor, for the "how agents use it" snippet. */
  client: string;
}

export const PROVIDERS: readonly ProviderInfo[] = [
  {
    id: 'openai',
    label: 'OpenAI',
    defaultBaseUrl: 'https://api.openai.com/v1',
    gatewayPath: '/llm/openai/v1',
    client: 'OpenAI',
  },
  {
    id: 'anthropic',
    label: 'Anthropic',
    defaultBaseUrl: 'https://api.anthropic.com',
    gatewayPath: '/llm/anthropic',
    client: 'Anthropic',
  },
];

export interface ProviderRow {
  info: ProviderInfo;
  /** null: no key set, so the gateway cannot call this provider. */
  credential: ProviderCredential | null;
}

/** Both providers, in a fixed order, each with its credential from GET /v1/providers if it has one. */
export function providerRows(list: readonly ProviderCredential[]): ProviderRow[] {
  return PROVIDERS.map((info) => ({
    info,
    credential: list.find((c) => c.provider === info.id) ?? null,
  }));
}

export function providerPath(id: ProviderInfo['id']): string {
  return `/v1/providers/${encodeURIComponent(id)}`;
}

/** A base URL of its own, or '' when the credential uses the provider's public API (the server answers with its URL). */
export function customBaseUrl(info: ProviderInfo, credential: ProviderCredential | null): string {
  const url = credential?.base_url ?? '';
  return url === '' || sameUrl(url, info.defaultBaseUrl) ? '' : url;
}

/** The base URL cell: the credential's own, or "default (https://api.openai.com/v1)". */
export function baseUrlText(info: ProviderInfo, credential: ProviderCredential | null): string {
  return customBaseUrl(info, credential) || `default (${info.defaultBaseUrl})`;
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** "never" until the gateway has used the key once. */
export function lastUsedText(iso: string | null | undefined): string {
  return iso ? formatTime(iso) : 'never';
}

export type ProviderPut =
  | { ok: true; body: { api_key: string; base_url?: string } }
  | { ok: false; error: string };

/**
 * The PUT body for what was typed: the key trimmed (a pasted newline is not part of it), the base URL only when one is
 * given (empty = the provider's public API). The server judges the rest (https, public address) and says what it
 * refuses; here only what cannot be a key or a URL at all is stopped.
 */
export function providerPut(apiKey: string, baseUrl: string): ProviderPut {
  const key = apiKey.trim();
  if (!key) return { ok: false, error: 'API key: required.' };
  if (/\s/.test(key)) return { ok: false, error: 'API key: contains a space or line break.' };
  const url = baseUrl.trim();
  if (!url) return { ok: true, body: { api_key: key } };
  if (!/^https?:\/\//i.test(url) || !parsesAsUrl(url)) {
    return { ok: false, error: 'Base URL: not a URL (https://…), or leave it empty for the default.' };
  }
  return { ok: true, body: { api_key: key, base_url: url } };
}

function parsesAsUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** The base URL an agent's client sets to go through this Spendguard: "https://spendguard.example/llm/openai/v1". */
export function gatewayBaseUrl(origin: string, info: ProviderInfo): string {
  return `${origin.replace(/\/+$/, '')}${info.gatewayPath}`;
}

/** An event the LLM gateway recorded for a call it forwarded (metadata.gateway === true). */
export function isGatewayEvent(event: Pick<SpendEvent, 'metadata'>): boolean {
  return event.metadata?.gateway === true;
}

/** The gateway tag's tooltip: the provider and the provider's own request id, when the metadata has them. */
export function gatewayTitle(event: Pick<SpendEvent, 'metadata'>): string {
  const provider = event.metadata?.provider;
  const requestId = event.metadata?.provider_request_id;
  const via =
    typeof provider === 'string' && provider ? `Called ${provider} through the gateway` : 'Gateway call';
  return typeof requestId === 'string' && requestId ? `${via} · ${requestId}` : via;
}
