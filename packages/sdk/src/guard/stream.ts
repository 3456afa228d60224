// Watching a provider's stream without replacing it: the caller keeps the very object the client returned (its
// `controller.abort()`, `tee()`, `toReadableStream()`), only its iterator is tapped, so every chunk passes a reader
// on its way and the hold is settled exactly once — when the stream ends, fails, is broken out of, or is aborted.

/** Reads a stream's chunks for what the call cost. */
export interface StreamReader {
  /** Takes one chunk; `false` hides it from the caller. */
  read(chunk: unknown): boolean;
  /** Whether any chunk arrived. */
  readonly seen: boolean;
  /** The text generated so far (content, tool-call arguments), for an estimate when the stream stopped early. */
  text(): string;
  /**
   * The provider's usage object to commit, or null when none arrived. When the stream stopped before its final
   * usage, a usage holding the input counts gets at least `outputEstimate` output tokens.
   */
  usage(outputEstimate: number): Record<string, unknown> | null;
}

/** Settles the hold: `failed` when the stream itself threw. */
export type Settle = (failed: boolean) => Promise<void>;

type Iterate = (this: unknown) => AsyncIterator<unknown>;
type Tappable = Record<PropertyKey, unknown> & { controller?: { signal?: EventTarget } };

const noop = () => {};

/** Taps `stream` in place and returns it. */
export function tapStream<S>(stream: S, reader: StreamReader, settle: Settle): S {
  if (typeof stream !== 'object' || stream === null) {
    // Not a stream after all: nothing to read, so settle on the estimate now rather than leave the hold open.
    void settle(false).catch(noop);
    return stream;
  }
  const target = stream as Tappable;
  let settling: Promise<void> | undefined;
  const signal = target.controller?.signal;
  // An abort ends the stream quietly (the clients swallow their AbortError), maybe before it was ever iterated.
  const onAbort = () => void once(false).catch(noop);
  const once = (failed: boolean) => {
    signal?.removeEventListener('abort', onAbort);
    settling ??= settle(failed);
    return settling;
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  // The Stainless clients (openai, @anthropic-ai/sdk) keep the iterator in an own `iterator` member that
  // [Symbol.asyncIterator], tee() and toReadableStream() all go through; tapping it covers them all. Any other async
  // iterable is tapped at [Symbol.asyncIterator]. Never both: a chunk must be read once.
  const key: PropertyKey =
    Object.hasOwn(target, 'iterator') && typeof target.iterator === 'function'
      ? 'iterator'
      : Symbol.asyncIterator;
  const iterate = target[key] as Iterate;
  target[key] = function tapped(this: unknown) {
    return tapIterator(iterate.call(this ?? target), reader, once);
  };
  return stream;
}

async function* tapIterator(inner: AsyncIterator<unknown>, reader: StreamReader, settle: Settle) {
  let failed = false;
  try {
    // for-await closes `inner` when the caller breaks out, which aborts the upstream request.
    for await (const chunk of { [Symbol.asyncIterator]: () => inner }) if (reader.read(chunk)) yield chunk;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // After a stream error, that error is what the caller must see, not a failed commit.
    if (failed) await settle(true).catch(noop);
    else await settle(false);
  }
}
