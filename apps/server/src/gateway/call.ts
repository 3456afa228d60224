// One metered gateway call (docs/api.md §12): caller → estimate → the reservation's atomic decision (every limit, run
// caps, repeats) → forward → commit the real cost from the provider's usage, or release. Declines and outages are
// answered before the provider is called (fail closed). The pieces: caller.ts (who), estimate.ts + endpoints/* (what it
// may cost and how its answer reports usage), upstream.ts (the request to the provider), relay.ts (streams),
// settle.ts (commit/release), open-streams.ts (the kill switch reaching open streams), wire-errors.ts (formats).
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../auth/secrets.js';
import { MAX_EVENT_MICROS } from '../budget/money.js';
import { invalidRequest } from '../http/errors.js';
import { catalogueContextWindow } from '../pricing/catalogue.js';
import { costOfEstimateFor, type EstimateInput, type UsageInput } from '../pricing/usage-cost.js';
import { canonicalJson } from '../spend/event-service.js';
import type { Caller } from './caller.js';
import type { GatewayDeps } from './deps.js';
import type { Body, Endpoint, Reported, TokenCounts } from './endpoints/types.js';
import { countPromptTokens, inputTokensUpperBound, tokenCounter } from './estimate.js';
import type { StopCause } from './open-streams.js';
import { providerCredential } from './provider-credential.js';
import { relayStream } from './relay.js';
import type { Settlement } from './settle.js';
import { callUpstream, passedHeaders, readBody } from './upstream.js';
import { errorFrame, type OwnError, ownErrorOf, sendWire } from './wire-errors.js';

/** Gateway holds outlive a long generation; a commit after expiry is still recorded (the money was spent). */
const HOLD_TTL_SECONDS = 600;
/** A non-streamed answer is read whole (its usage is at the end); larger than this is not relayed. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** How long a non-streamed answer waits for its commit before it is sent without X-Spendguard-Cost-Micros. */
const COMMIT_WAIT_MS = 5_000;
/** What an upstream error body is read up to for the usage it may report. */
const MAX_ERROR_BYTES = 1024 * 1024;

interface Metered {
  caller: Caller;
  endpoint: Endpoint;
  body: Body;
  model: string;
  reservationId: string;
  heldMicros: number;
  agentId: string;
  openedAt: number;
}

export function createGatewayCall(deps: GatewayDeps) {
  const { settler, metrics } = deps;

  const fingerprintOf = (caller: Caller, endpoint: Endpoint, body: Body, model: string) =>
    caller.fingerprint ??
    sha256Hex(
      canonicalJson({ provider: endpoint.provider, model, prompt: endpoint.fingerprintSource(body) }),
    );

  /** The hold: priced from the estimate at the customer's prices; a decline or an outage is an OwnError. */
  const hold = async (
    caller: Caller,
    endpoint: Endpoint,
    body: Body,
    model: string,
    receivedAt: number,
  ): Promise<{ reservationId: string; heldMicros: number; agentId: string } | OwnError> => {
    const customerId = caller.principal.customerId;
    const settings = await deps.directory.customer(customerId);
    const asked = endpoint.maxOutputTokens(body) ?? settings.gatewayDefaultMaxOutputTokens;
    const window = catalogueContextWindow(endpoint.provider, model, new Date(receivedAt));
    const estimate: EstimateInput = {
      provider: endpoint.provider,
      model,
      input_tokens: inputTokensUpperBound(endpoint.prompt(body)),
      // No call generates more than its model's context window holds.
      max_output_tokens: window === null ? asked : Math.min(asked, window),
    };
    const { costMicros } = await costOfEstimateFor(deps.db, customerId, estimate, receivedAt);
    if (costMicros > MAX_EVENT_MICROS) {
      throw invalidRequest([
        { field: 'max_tokens', problem: 'the call may cost more than the 1,000,000 USD one request may' },
      ]);
    }
    const outcome = await deps.reservations.create(
      caller.principal,
      {
        agent: caller.agent,
        amountMicros: costMicros,
        estimate,
        ttlSeconds: HOLD_TTL_SECONDS,
        run: caller.run,
        idempotencyKey: `gw-${randomUUID()}`,
        fingerprint: fingerprintOf(caller, endpoint, body, model),
      },
      receivedAt,
    );
    if (outcome.status !== 201) return ownErrorOf(outcome.status, outcome.body);
    const reservation = (outcome.body as { reservation: { id: string } }).reservation;
    // Resolved (and cached) by the decision just made; without its id the kill switch could not reach the stream, so
    // a missing agent (it cannot be, short of a bug) gives the hold back and fails the call rather than run unwatched.
    const agent = await deps.directory.find(customerId, caller.agent);
    if (!agent) {
      await settler.release(caller.principal, reservation.id);
      throw new Error(`agent ${caller.agent} not found right after its hold`);
    }
    return { reservationId: reservation.id, heldMicros: costMicros, agentId: agent.id };
  };

  /** The usages to price, best first: the provider's own report, then what was counted. */
  const candidates = (m: Metered, reported: Reported, counted: TokenCounts | null): UsageInput[] => {
    const out: UsageInput[] = [];
    const provider = m.endpoint.provider;
    const models = [...new Set([reported.model ?? m.model, m.model])];
    if (reported.usage) for (const model of models) out.push({ provider, model, raw: reported.usage });
    if (counted) for (const model of models) out.push({ provider, model, ...counted });
    return out;
  };

  const settle = (m: Metered, reported: Reported, counted: TokenCounts | null, waitMs: number) =>
    settler.commit({
      principal: m.caller.principal,
      reservationId: m.reservationId,
      candidates: candidates(m, reported, counted),
      heldMicros: m.heldMicros,
      metadata: {
        gateway: true,
        provider: m.endpoint.provider,
        model: reported.model ?? m.model,
        provider_request_id: reported.id,
      },
      waitMs,
    });

  const log = (request: FastifyRequest, m: Metered | null, fields: Record<string, unknown>) => {
    request.log.info(
      {
        gateway: m?.endpoint.provider,
        agent: m?.caller.agent,
        model: m?.model,
        reservation: m?.reservationId,
        ...fields,
      },
      'gateway call',
    );
  };

  return async function gatewayCall(
    request: FastifyRequest,
    reply: FastifyReply,
    endpoint: Endpoint,
    caller: Caller,
  ): Promise<FastifyReply | undefined> {
    const receivedAt = Date.now() - reply.elapsedTime;
    const body = request.body as Body;
    const model = typeof body.model === 'string' ? body.model : '';
    const provider = endpoint.provider;
    const unmeterable = endpoint.unmeterable?.(body);
    if (unmeterable) throw invalidRequest([unmeterable], `${unmeterable.field} ${unmeterable.problem}.`);
    const credential = await providerCredential(deps.credentials, caller.principal.customerId, provider);
    const held = await hold(caller, endpoint, body, model, receivedAt);
    if ('code' in held) {
      metrics.gatewayRequests.inc({ provider, model: deps.modelLabel(model), status: String(held.status) });
      log(request, null, {
        gateway: provider,
        agent: caller.agent,
        model,
        status: held.status,
        outcome: held.code,
      });
      return sendWire(reply, provider, held);
    }
    const m: Metered = { caller, endpoint, body, model, ...held, openedAt: receivedAt };
    deps.credentials.markUsed(caller.principal.customerId, provider);
    const forward = endpoint.forward(body);
    const streaming = body.stream === true;
    const controller = new AbortController();
    const upstreamStarted = performance.now();
    let upstream: Awaited<ReturnType<typeof callUpstream>>;
    try {
      upstream = await callUpstream({
        dispatcher: deps.dispatcher,
        request,
        provider,
        credential,
        body: forward.body,
        method: 'POST',
        path: endpoint.upstreamPath,
        signal: controller.signal,
      });
    } catch (error) {
      await settler.release(caller.principal, m.reservationId);
      log(request, m, { status: 502, outcome: 'upstream_unreachable', err: (error as Error).message });
      metrics.gatewayRequests.inc({ provider, model: deps.modelLabel(model), status: '502' });
      return sendWire(reply, provider, {
        status: 502,
        code: 'upstream_unreachable',
        message: `Spendguard could not reach the ${provider} API: ${(error as Error).message}. Nothing was charged.`,
        extra: {},
      });
    }
    const upstreamHeadersAt = performance.now();
    metrics.gatewayUpstreamFirstByte.observe({ provider }, (upstreamHeadersAt - upstreamStarted) / 1000);
    const headers = passedHeaders(upstream.headers);
    const status = upstream.statusCode;
    metrics.gatewayRequests.inc({ provider, model: deps.modelLabel(model), status: String(status) });

    if (status < 200 || status >= 300) {
      // The provider's answer passes through unchanged; usage in an error body (rare) is still charged.
      const raw = await readBody(upstream.body, MAX_ERROR_BYTES).catch(() => Buffer.alloc(0));
      const reported = reportedOfError(endpoint, raw);
      if (reported.usage) await settle(m, reported, null, COMMIT_WAIT_MS);
      else await settler.release(caller.principal, m.reservationId);
      log(request, m, { status, outcome: 'upstream_error' });
      return reply
        .code(status)
        .headers({ ...headers, ...ownRequestId(request) })
        .send(raw);
    }

    if (!streaming) {
      let raw: Buffer;
      try {
        raw = await readBody(upstream.body, MAX_RESPONSE_BYTES);
      } catch (error) {
        // The provider answered (and charged) but its body did not arrive whole: the held estimate is recorded —
        // what it produced is unknown, and the estimate is never less.
        await settle(m, { usage: null, model: null, id: null }, null, COMMIT_WAIT_MS);
        log(request, m, { status: 502, outcome: 'upstream_body_failed', err: (error as Error).message });
        return sendWire(reply, provider, {
          status: 502,
          code: 'upstream_unreachable',
          message: `The ${provider} answer did not arrive whole: ${(error as Error).message}. The estimate was charged.`,
          extra: {},
        });
      }
      const upstreamMs = performance.now() - upstreamStarted;
      let json: Body = {};
      try {
        json = JSON.parse(raw.toString('utf8')) as Body;
      } catch {
        // Not JSON after all: no usage to read.
      }
      // An answer without usage (some compatible servers omit it): the held estimate is recorded, never $0.
      const settled = await settle(m, endpoint.reported(json), null, COMMIT_WAIT_MS);
      if (settled) headers['x-spendguard-cost-micros'] = String(settled.costMicros);
      const addedMs = Date.now() - receivedAt - upstreamMs;
      metrics.gatewayAddedLatency.observe({ provider, phase: 'response' }, Math.max(0, addedMs) / 1000);
      log(request, m, { status, outcome: 'committed', ...costFields(settled), ms: Date.now() - receivedAt });
      return reply
        .code(status)
        .headers({ ...headers, ...ownRequestId(request) })
        .send(raw);
    }

    // A stream: the reply is written by hand, frame by frame.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(status, { ...headers, 'cache-control': 'no-cache', ...ownRequestId(request) });
    const meter = endpoint.meter(forward.hideUsage);
    let stoppedBy: OwnError | null = null;
    const onClientGone = () => controller.abort();
    res.on('close', onClientGone);
    const unwatch = await deps.openStreams.open(
      caller.principal.customerId,
      m.agentId,
      m.openedAt,
      (cause) => {
        stoppedBy = stopError(caller.agent, cause);
        controller.abort();
      },
    );
    metrics.gatewayOpenStreams.inc();
    const end = await relayStream({
      res,
      body: upstream.body,
      meter,
      controller,
      isStopped: () => stoppedBy !== null,
      onFirstByte: () => {
        const added = upstreamHeadersAt - upstreamStarted;
        metrics.gatewayAddedLatency.observe(
          { provider, phase: 'first_byte' },
          Math.max(0, Date.now() - receivedAt - added) / 1000,
        );
      },
    });
    metrics.gatewayOpenStreams.dec();
    res.off('close', onClientGone);
    if (end === 'stopped' && stoppedBy && !res.destroyed) res.write(errorFrame(provider, stoppedBy));
    if (!res.destroyed && !res.writableEnded) res.end();
    if (end !== 'completed') upstream.body.destroy();
    metrics.gatewayStreamEnds.inc({ provider, end });
    const reported = meter.reported();
    // The client has its whole answer by now: waiting for the commit only delays this line, not the client.
    let counted: TokenCounts | null = null;
    if (!reported.usage) {
      const count = await tokenCounter();
      counted = meter.partial(countPromptTokens(m.endpoint.prompt(m.body), count), count);
    }
    const settled = await settle(m, reported, counted, COMMIT_WAIT_MS);
    unwatch();
    log(request, m, { status, outcome: end, ...costFields(settled), ms: Date.now() - receivedAt });
    return undefined;
  };
}

/**
 * The provider's x-request-id passes through unchanged (docs/api.md §12: clients report it to the provider); the id
 * of Spendguard's own log lines travels beside it.
 */
function ownRequestId(request: FastifyRequest): Record<string, string> {
  return { 'x-spendguard-request-id': request.id };
}

/** The error frame of a stream Spendguard ended: the kill switch (§12), or a shutdown (retry on another instance). */
function stopError(agent: string, cause: StopCause): OwnError {
  if (cause.kind === 'shutdown') {
    return {
      status: 503,
      code: 'unavailable',
      message: 'This Spendguard instance is shutting down; the output so far is charged. Retry the call.',
      extra: {},
      retryAfterSeconds: 1,
    };
  }
  const { reason, suspendedAt } = cause.suspension;
  return {
    status: 403,
    code: 'agent_suspended',
    message: `The agent ${agent} was suspended; Spendguard ended the stream. The output so far is charged.`,
    extra: { reason, suspended_at: new Date(suspendedAt).toISOString() },
  };
}

/** What the call's log line says about its cost (never the prompt or the answer). */
function costFields(settled: Settlement | null) {
  return {
    cost_micros: settled?.costMicros,
    input_tokens: settled?.pricing?.usage.input_tokens,
    output_tokens: settled?.pricing?.usage.output_tokens,
    commit: settled ? 'recorded' : 'pending',
  };
}

/** Usage a provider may put in an error body (e.g. a response that failed after generating). */
function reportedOfError(endpoint: Endpoint, raw: Buffer): Reported {
  try {
    const json = JSON.parse(raw.toString('utf8')) as Body;
    const reported = endpoint.reported(json);
    return reported.usage ? reported : { usage: null, model: null, id: null };
  } catch {
    return { usage: null, model: null, id: null };
  }
}
