import { useEffect, useState } from 'preact/hooks';
import type { Agent, StreamDeclined, StreamSpend } from './types';

// One EventSource for the whole app (GET /v1/stream, same-origin session cookie). Pages subscribe to
// its messages and update what they show in place — nothing polls. EventSource reconnects by itself
// after a dropped connection; only when the browser gives up for good (a non-200 answer, e.g. a
// restarting server) do we open a fresh one, after a growing pause.

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'off';

export type LiveMessage =
  /** The stream came back after a gap: whatever happened meanwhile was missed, so reload. */
  | { type: 'resync' }
  | { type: 'spend'; data: StreamSpend }
  | { type: 'agent'; data: Agent }
  | { type: 'declined'; data: StreamDeclined };

type Listener = (message: LiveMessage) => void;

const listeners = new Set<Listener>();
const statusListeners = new Set<(status: LiveStatus) => void>();
let status: LiveStatus = 'off';
let source: EventSource | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let retryDelayMs = 1000;
let openedBefore = false;
let onRefused: (() => void) | null = null;

/** Called when the server refuses the stream outright (e.g. the session expired), before retrying. */
export function setStreamRefusedHandler(handler: (() => void) | null): void {
  onRefused = handler;
}

function setStatus(next: LiveStatus): void {
  status = next;
  for (const listener of statusListeners) listener(next);
}

function broadcast(message: LiveMessage): void {
  for (const listener of listeners) listener(message);
}

function dispatch(type: Exclude<LiveMessage['type'], 'resync'>, raw: string): void {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return; // a malformed frame must not break the stream
  }
  if (!data || typeof data !== 'object') return;
  broadcast({ type, data } as LiveMessage);
}

export function startLive(): void {
  if (source) return;
  setStatus(status === 'off' ? 'connecting' : 'reconnecting');
  const es = new EventSource('/v1/stream');
  source = es;
  es.onopen = () => {
    retryDelayMs = 1000;
    setStatus('live');
    if (openedBefore) broadcast({ type: 'resync' });
    openedBefore = true;
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      source = null;
      setStatus('reconnecting');
      onRefused?.();
      retryTimer = setTimeout(() => {
        retryTimer = null;
        startLive();
      }, retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, 30_000);
    } else {
      setStatus('reconnecting');
    }
  };
  for (const type of ['spend', 'agent', 'declined'] as const) {
    es.addEventListener(type, (event) => dispatch(type, (event as MessageEvent<string>).data));
  }
}

export function stopLive(): void {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  source?.close();
  source = null;
  retryDelayMs = 1000;
  openedBefore = false;
  setStatus('off');
}

/** Subscribes for the lifetime of the calling component. */
export function useLiveMessages(listener: Listener, deps: unknown[]): void {
  useEffect(() => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, deps);
}

export function useLiveStatus(): LiveStatus {
  const [current, setCurrent] = useState(status);
  useEffect(() => {
    statusListeners.add(setCurrent);
    setCurrent(status);
    return () => {
      statusListeners.delete(setCurrent);
    };
  }, []);
  return current;
}
