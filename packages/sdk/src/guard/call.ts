// One guarded LLM call: hold an estimate, call the provider only if the hold is granted, then commit the usage the
// provider reported (or release the hold when the call failed). A decline throws the SDK's typed error before the
// provider sees anything.

import type { Usage } from '../types.js';
import { fingerprintOf } from './fingerprint.js';
import type { GuardHold, GuardLLMOptions, LLMRequest } from './options.js';
import { type StreamReader, tapStream } from './stream.js';
import { DEFAULT_MAX_OUTPUT_TOKENS, type TokenCounter, utf8Bytes, wholeTokens } from './tokens.js';

/** What a call will hold, read from its request. */
export interface CallPlan {
  model: string;
  inputTokens: number;
  maxOutputTokens: number;
  /** What the default fingerprint hashes: the model and the messages. */
  fingerprintSource: unknown;
}

/** How one endpoint of one provider reads its requests, responses and stream chunks. */
export interface Endpoint {
  provider: string;
  plan(request: LLMRequest, count: TokenCounter, defaultMaxOutputTokens: number): CallPlan;
  /** A streamed request as sent upstream, and whether the caller must not see the chunk carrying the usage. */
  prepareStream?(request: LLMRequest): { request: LLMRequest; hideUsage: boolean };
  /** A non-streamed response's usage object as the provider returned it. */
  responseUsage(response: unknown): Record<string, unknown> | null;
  /** A non-streamed response's generated text, for an estimate when it carries no usage. */
  responseText(response: unknown): string;
  streamReader(hideUsage: boolean): StreamReader;
}

type Method = (this: unknown, request: unknown, options?: unknown) => unknown;

/** The Stainless clients' `withResponse()` result: `data` plus the raw response and request id. */
type Settled = Record<string, unknown> & { data: unknown };

const noop = () => {};

/** `create` of `resource`, guarded. Resolves to what the original resolves to; `withResponse()` works as well. */
export function guardedMethod(
  original: Method,
  resource: object,
  endpoint: Endpoint,
  options: GuardLLMOptions,
) {
  return function guarded(request: unknown, requestOptions?: unknown): Promise<unknown> {
    const call = (body: LLMRequest) =>
      requestOptions === undefined
        ? original.call(resource, body)
        : original.call(resource, body, requestOptions);
    return withStainlessHelpers(run(call, request, endpoint, options));
  };
}

async function run(
  call: (body: LLMRequest) => unknown,
  request: unknown,
  endpoint: Endpoint,
  options: GuardLLMOptions,
): Promise<Settled> {
  if (typeof request !== 'object' || request === null)
    throw new TypeError('the request body must be an object');
  const body = request as LLMRequest;
  const count = options.countTokens ?? utf8Bytes;
  const plan = endpoint.plan(body, count, options.defaultMaxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
  const hold = await options.sg.reserve({
    agent: options.agent,
    run: options.run,
    ttlSeconds: options.ttlSeconds,
    estimate: {
      provider: endpoint.provider,
      model: plan.model,
      inputTokens: plan.inputTokens,
      maxOutputTokens: plan.maxOutputTokens,
    },
    fingerprint: await fingerprintFor(body, plan, options),
  });
  const streamed = body.stream === true;
  const prepared =
    streamed && endpoint.prepareStream ? endpoint.prepareStream(body) : { request: body, hideUsage: false };
  let settled: Settled;
  try {
    const pending = call(prepared.request);
    settled = hasWithResponse(pending) ? { ...(await pending.withResponse()) } : { data: await pending };
  } catch (error) {
    await releaseQuietly(hold, options);
    throw error; // the provider's own error, untouched
  }
  // Priced by the server from the provider's own usage object; from estimates only when there is none.
  const usage = (raw: Record<string, unknown> | null, outputText: string): Usage =>
    raw === null
      ? {
          provider: endpoint.provider,
          model: plan.model,
          inputTokens: plan.inputTokens,
          outputTokens: wholeTokens(count(outputText, plan.model)),
        }
      : { provider: endpoint.provider, model: plan.model, raw };
  if (streamed) {
    const reader = endpoint.streamReader(prepared.hideUsage);
    settled.data = tapStream(settled.data, reader, async (failed) => {
      // A stream that failed before sending anything generated nothing: give the hold back.
      if (failed && !reader.seen) return releaseQuietly(hold, options);
      const outputEstimate = wholeTokens(count(reader.text(), plan.model));
      await hold.commit({ usage: usage(reader.usage(outputEstimate), reader.text()) });
    });
  } else {
    const raw = endpoint.responseUsage(settled.data);
    await hold.commit({ usage: usage(raw, raw === null ? endpoint.responseText(settled.data) : '') });
  }
  return settled;
}

async function fingerprintFor(
  body: LLMRequest,
  plan: CallPlan,
  options: GuardLLMOptions,
): Promise<string | undefined> {
  if (options.fingerprint === false) return undefined;
  if (typeof options.fingerprint === 'function') return options.fingerprint(body);
  return fingerprintOf(plan.fingerprintSource);
}

function hasWithResponse(value: unknown): value is { withResponse(): Promise<Settled> } {
  return typeof (value as { withResponse?: unknown } | null)?.withResponse === 'function';
}

async function releaseQuietly(hold: GuardHold, options: GuardLLMOptions): Promise<void> {
  try {
    await hold.release();
  } catch (error) {
    // The provider's error matters more; the hold expires by its TTL anyway.
    (options.logger ?? console).warn('spendguard: could not release the hold of a failed LLM call', error);
  }
}

/**
 * The promise the caller gets, with the two members of the clients' APIPromise that code (theirs and the clients'
 * own helpers: messages.stream(), chat.completions.parse()) calls on it: `withResponse()` → `{ data, response,
 * request_id }`, and `_thenUnwrap(transform)`. `asResponse()` is left out: the guard must read the body itself.
 */
function withStainlessHelpers(settled: Promise<Settled>): Promise<unknown> {
  const data = settled.then((s) => s.data);
  return Object.assign(data, {
    withResponse: () => {
      data.catch(noop); // the caller handles `settled` instead
      return settled;
    },
    _thenUnwrap: (transform: (data: unknown, props: unknown) => unknown) => {
      data.catch(noop);
      return withStainlessHelpers(
        settled.then(async (s) => ({ ...s, data: await transform(s.data, { response: s.response }) })),
      );
    },
  });
}
