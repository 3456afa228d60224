// Passing a provider's SSE stream to the client frame by frame (docs/api.md §12): never buffered whole, each chunk's
// complete frames read by the meter and written on at once; when the client reads slower than the provider writes,
// reading from the provider waits for the client's socket to drain (back-pressure reaches the provider through TCP).
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { StreamMeter } from './endpoints/types.js';
import { SseSplitter } from './sse.js';

/** How a relayed stream ended. */
export type RelayEnd = 'completed' | 'client_gone' | 'stopped' | 'upstream_failed';

/** Resolves when the socket can take more, or when it is gone or the relay is stopped. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function relayStream(args: {
  res: ServerResponse;
  body: Dispatcher.ResponseData['body'];
  meter: StreamMeter;
  /** Aborted by the kill switch (`stopped`) or a client that went away: ends the upstream read at once. */
  controller: AbortController;
  isStopped: () => boolean;
  /** Called once, just before the first byte is written to the client. */
  onFirstByte: () => void;
}): Promise<RelayEnd> {
  const { res, body, meter, controller } = args;
  const splitter = new SseSplitter();
  let wroteAny = false;
  const write = (frames: ReturnType<SseSplitter['push']>): boolean => {
    let out = '';
    for (const frame of frames) if (meter.read(frame)) out += frame.raw;
    if (out === '') return true;
    if (!wroteAny) {
      wroteAny = true;
      args.onFirstByte();
    }
    return res.write(out);
  };
  const gone = () => res.destroyed || res.writableEnded;
  try {
    for await (const chunk of body) {
      if (!write(splitter.push(chunk as Buffer))) await drained(res, controller.signal);
      if (args.isStopped()) return 'stopped';
      if (gone()) return 'client_gone';
    }
    write(splitter.flush());
    return 'completed';
  } catch {
    if (args.isStopped()) return 'stopped';
    if (gone() || controller.signal.aborted) return 'client_gone';
    return 'upstream_failed';
  }
}
