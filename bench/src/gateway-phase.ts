// Phase G — the LLM gateway (SPEC §12): what routing an agent's LLM calls through Spendguard adds, measured against
// the same calls sent straight to the provider, in the same run. The provider is the local OpenAI simulator
// (llm-upstream-server.ts) in a child process of its own; the direct and the gateway requests go to that one process,
// from the same load generator, at the same rate, so the only difference between the two is the gateway.
//   G1 non-streamed chat completions, open loop at GATEWAY_RATE req/s: p50/p99 direct vs through the gateway → added
//   G2 streamed chat completions, same loop: time to first byte (first SSE frame) direct vs through the gateway
//   G0 both, first, at LOW_RATE req/s: the added latency of the gateway's path alone, without queueing
//   G3 GATEWAY_STREAMS streams sent at once through the gateway, each BURST_WORDS chunks BURST_CHUNK_DELAY_MS apart,
//      so all are open together: every one must arrive whole (…[DONE], no error frame) and be committed
// Then: each agent's events in PostgreSQL (count, sum of cost_micros) and its spend in the API must equal what the
// calls answered (X-Spendguard-Cost-Micros) or, for streams, the known cost of the usage they streamed; no hold left.
import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_TEXT } from '../../packages/sdk/test/support/llm-upstream.js';
import { cpuPerRequest, processCpuSeconds, sampleCpu } from './cpu-usage.js';
import { added, GatewayLedger, wordsOf } from './gateway-ledger.js';
import { runOpenLoop } from './open-loop.js';
import type { Check, GatewayCpu, GatewayLoop, GatewayRate, GatewayReport } from './report.js';
import { TARGETS } from './report.js';
import { histogramDelta, histogramState, type MetricSample, readMetricSamples } from './server-metrics.js';
import { checkChatStream, fullyReceived } from './sse-check.js';
import type { Simulator } from './stack.js';
import { round, summarize } from './stats.js';
import { runStreamBurst } from './stream-burst.js';
import { call, createGatewayTenant } from './tenant.js';

/** A modest load for an LLM gateway (each call is an agent's LLM call), well below the events phase's 400 req/s. */
export const GATEWAY_RATE = 150;
/** Low enough that nothing queues on this machine: what one call's path through the gateway costs by itself. */
export const LOW_RATE = 20;
export const GATEWAY_STREAMS = TARGETS.gatewayStreams;
export const BURST_CHUNK_DELAY_MS = 50;
/** 20 words: the simulator streams one chunk per word. */
const BURST_TEXT =
  'Spendguard holds the budget before the call, streams every token straight through, and then commits exactly what the provider reported.';
export const BURST_WORDS = wordsOf(BURST_TEXT).length;

const AGENTS = { calls: 'gw-calls', ttfb: 'gw-ttfb', streams: 'gw-streams' } as const;
const SYSTEM =
  'You are the support assistant of a travel agency. Answer in one sentence, plainly, without lists or markdown.';

let serial = 0;
/** A chat-completion request as an agent sends it; the question varies so no two prompts are the same. */
function chatBody(stream: boolean): string {
  const i = serial++;
  return JSON.stringify({
    model: 'gpt-4o-mini',
    max_tokens: 64,
    messages: [
      { role: 'system', content: SYSTEM },
      {
        role: 'user',
        content: `Ticket ${i}: what is the capital of France, and which river runs through it?`,
      },
    ],
    ...(stream ? { stream: true } : {}),
  });
}

const json = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });

interface Side {
  name: 'direct' | 'gateway';
  url: URL;
  headers: Record<string, string>;
}

export async function runGatewayPhase(options: {
  serverUrl: string;
  serverPid: number;
  /** The run's own redis-server, for the Redis column of CPU per call. */
  redisPids?: number[];
  simulator: Simulator;
  quick: boolean;
  query: <T extends Record<string, unknown>>(sql: string) => Promise<T[]>;
  say: (line: string) => void;
}): Promise<{ report: GatewayReport; checks: Check[] }> {
  const { serverUrl, serverPid, redisPids, simulator, say } = options;
  const seconds = options.quick ? 3 : 10;
  const warmSeconds = options.quick ? 1 : 3;
  const lowSeconds = options.quick ? 3 : 10;
  const tenant = await createGatewayTenant(serverUrl, `${simulator.url}/v1`, Object.values(AGENTS));
  const keyOf = (agent: string) => tenant.ingestKeys.get(agent) as string;
  const ledger = new GatewayLedger();
  const direct: Side = {
    name: 'direct',
    url: new URL('/v1/chat/completions', simulator.url),
    headers: json('sk-bench-direct'),
  };
  const through = (agent: string): Side => ({
    name: 'gateway',
    url: new URL('/llm/openai/v1/chat/completions', serverUrl),
    headers: json(keyOf(agent)),
  });

  // What one call of each usage costs, as the gateway itself answers it (a stream of the same usage costs the same).
  const reference = async (): Promise<number> => {
    const res = await fetch(through(AGENTS.calls).url, {
      method: 'POST',
      headers: through(AGENTS.calls).headers,
      body: chatBody(false),
    });
    await res.arrayBuffer();
    const cost = res.headers.get('x-spendguard-cost-micros');
    if (res.status !== 200 || cost === null)
      throw new Error(`gateway reference call: ${res.status}, cost ${cost ?? 'missing'}`);
    ledger.recordAnswer(AGENTS.calls, cost);
    return Number(cost);
  };
  const defaultCost = await reference();
  await simulator.script({ text: BURST_TEXT }, 1);
  const burstCost = await reference();
  say(
    `G gateway: tenant ready; one call costs ${defaultCost} micros (${wordsOf(DEFAULT_TEXT).length} words), the burst's ${burstCost} (${BURST_WORDS} words)`,
  );

  let streamsNotWhole = 0;
  let usageLeaks = 0;
  const loop = async (
    label: string,
    side: Side,
    agent: string,
    stream: boolean,
    durationSeconds: number,
    rate = GATEWAY_RATE,
  ): Promise<GatewayLoop> => {
    let notWhole = 0;
    const cpuBefore = sampleCpu([serverPid], redisPids);
    const simBefore = processCpuSeconds(simulator.pid);
    const result = await runOpenLoop({
      rate,
      durationMs: durationSeconds * 1000,
      okStatus: 200,
      keepBodies: stream,
      next: () => ({
        url: side.url,
        headers: side.headers,
        body: chatBody(stream),
        done: (status: number, response?: { headers: IncomingHttpHeaders; body: string }) => {
          if (status !== 200 || !response) return;
          if (stream) {
            const check = checkChatStream(response.body);
            if (side.name === 'gateway' && check.usageChunk) usageLeaks++;
            if (!fullyReceived(check, DEFAULT_TEXT)) notWhole++;
            else if (side.name === 'gateway') ledger.record(agent, defaultCost);
          } else if (side.name === 'gateway') {
            ledger.recordAnswer(agent, response.headers['x-spendguard-cost-micros']);
          }
        },
      }),
    });
    streamsNotWhole += notWhole;
    const simAfter = processCpuSeconds(simulator.pid);
    const cpu = cpuPerRequest(cpuBefore, sampleCpu([serverPid], redisPids), result.scheduled);
    const cpuPerCall: GatewayCpu | null =
      cpu && simBefore !== null && simAfter !== null
        ? (() => {
            const sim = Math.round(((simAfter - simBefore) * 1e6) / result.scheduled);
            return { ...cpu, simulator: sim, total: cpu.total + sim };
          })()
        : null;
    const latency = summarize(result.latenciesMs);
    const ttfb = summarize(result.ttfbMs);
    const lag = summarize(result.sendLagMs);
    const figures: GatewayLoop = {
      rate,
      seconds: durationSeconds,
      sent: result.scheduled,
      achievedRate: round(result.scheduled / (result.elapsedMs / 1000), 1),
      p50: round(latency.p50),
      p90: round(latency.p90),
      p99: round(latency.p99),
      max: round(latency.max),
      ttfbP50: round(ttfb.p50),
      ttfbP90: round(ttfb.p90),
      ttfbP99: round(ttfb.p99),
      errors: result.errors,
      non200: result.non201,
      streamsNotWhole: notWhole,
      clientSendLagP50: round(lag.p50),
      clientSendLagP99: round(lag.p99),
      cpuPerCall,
    };
    say(
      `${label}: ${figures.sent} sent at ${rate} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, first byte p50 ${figures.ttfbP50} ms / p99 ${figures.ttfbP99} ms, transport errors ${figures.errors}, non-200 ${figures.non200}${stream ? `, streams not whole ${notWhole}` : ''}`,
    );
    return figures;
  };

  const added_ = (samples: [MetricSample[], MetricSample[]], phase: 'response' | 'first_byte') =>
    histogramDelta(
      histogramState(samples[0], 'spendguard_gateway_added_latency_seconds', { phase }),
      histogramState(samples[1], 'spendguard_gateway_added_latency_seconds', { phase }),
    );

  /** Non-streamed then streamed, each direct then through the gateway, at one rate. */
  const measure = async (rate: number, tag: string, durationSeconds: number) => {
    const nsDirect = await loop(`${tag}1 direct to the simulator`, direct, '', false, durationSeconds, rate);
    const m1 = await readMetricSamples(serverUrl);
    const nsGateway = await loop(
      `${tag}1 through the gateway`,
      through(AGENTS.calls),
      AGENTS.calls,
      false,
      durationSeconds,
      rate,
    );
    const m2 = await readMetricSamples(serverUrl);
    const sDirect = await loop(
      `${tag}2 direct to the simulator, streamed`,
      direct,
      '',
      true,
      durationSeconds,
      rate,
    );
    const m3 = await readMetricSamples(serverUrl);
    const sGateway = await loop(
      `${tag}2 through the gateway, streamed`,
      through(AGENTS.ttfb),
      AGENTS.ttfb,
      true,
      durationSeconds,
      rate,
    );
    const m4 = await readMetricSamples(serverUrl);
    const figures: GatewayRate = {
      rate,
      seconds: durationSeconds,
      nonStreamed: {
        direct: nsDirect,
        gateway: nsGateway,
        added: added(nsDirect, nsGateway),
        serverAdded: added_([m1, m2], 'response'),
      },
      streamed: {
        direct: sDirect,
        gateway: sGateway,
        addedTtfb: added(
          { p50: sDirect.ttfbP50, p90: sDirect.ttfbP90, p99: sDirect.ttfbP99 },
          { p50: sGateway.ttfbP50, p90: sGateway.ttfbP90, p99: sGateway.ttfbP99 },
        ),
        serverAdded: added_([m3, m4], 'first_byte'),
      },
    };
    say(
      `${tag} added at ${rate} req/s (gateway − direct): non-streamed p50 ${figures.nonStreamed.added.p50} ms, p99 ${figures.nonStreamed.added.p99} ms; first byte p50 ${figures.streamed.addedTtfb.p50} ms, p99 ${figures.streamed.addedTtfb.p99} ms; server's own histogram: mean ${figures.nonStreamed.serverAdded.meanMs} ms (response), ${figures.streamed.serverAdded.meanMs} ms (first byte)`,
    );
    return figures;
  };

  // Warm-up of both paths (JIT, connection pools, the simulator): counted in the ledger, not in the figures.
  await loop('G warm-up direct', direct, '', false, warmSeconds);
  await loop('G warm-up gateway', through(AGENTS.calls), AGENTS.calls, false, warmSeconds);
  await loop('G warm-up direct, streamed', direct, '', true, warmSeconds);
  await loop('G warm-up gateway, streamed', through(AGENTS.ttfb), AGENTS.ttfb, true, warmSeconds);

  // The low rate first (nothing queues: the gateway's own path), then the rate the targets are judged at.
  const low = await measure(LOW_RATE, 'G0', lowSeconds);
  const main = await measure(GATEWAY_RATE, 'G', seconds);

  await simulator.script({ text: BURST_TEXT, chunkDelayMs: BURST_CHUNK_DELAY_MS }, GATEWAY_STREAMS);
  const burst = await runStreamBurst({
    url: through(AGENTS.streams).url,
    count: GATEWAY_STREAMS,
    headers: () => through(AGENTS.streams).headers,
    body: () => chatBody(true),
  });
  let burstWhole = 0;
  let burstErrors = 0;
  for (const s of burst.streams) {
    const check = checkChatStream(s.body);
    if (check.usageChunk) usageLeaks++;
    if (s.status === 200 && s.error === null && fullyReceived(check, BURST_TEXT)) {
      burstWhole++;
      ledger.record(AGENTS.streams, burstCost);
    } else burstErrors++;
  }
  const burstTtfb = summarize(burst.streams.map((s) => s.ttfbMs).filter((v) => !Number.isNaN(v)));
  const burstDuration = summarize(burst.streams.map((s) => s.durationMs));
  const concurrentStreams = {
    streams: GATEWAY_STREAMS,
    chunks: BURST_WORDS,
    chunkDelayMs: BURST_CHUNK_DELAY_MS,
    peakOpen: burst.peakOpen,
    fullyReceived: burstWhole,
    errors: burstErrors,
    statuses: countBy(burst.streams.map((s) => String(s.status))),
    ttfbP50: round(burstTtfb.p50),
    ttfbP99: round(burstTtfb.p99),
    durationP50: round(burstDuration.p50),
    durationMax: round(burstDuration.max),
    wallMs: round(burst.wallMs, 0),
  };
  say(
    `G3 ${GATEWAY_STREAMS} streams at once through the gateway (${BURST_WORDS} chunks, ${BURST_CHUNK_DELAY_MS} ms apart): peak ${burst.peakOpen} open, ${burstWhole} fully received, ${burstErrors} failed, first byte p50 ${concurrentStreams.ttfbP50} ms / p99 ${concurrentStreams.ttfbP99} ms, done in ${concurrentStreams.wallMs} ms`,
  );

  const report: GatewayReport = {
    ...main,
    low,
    concurrentStreams,
    costMicros: { defaultCall: defaultCost, burstStream: burstCost },
    committed: Object.fromEntries(ledger.perAgent),
    usageChunksLeaked: usageLeaks,
  };

  const checks = await gatewayChecks(report, ledger, {
    streamsNotWhole,
    tenant,
    serverUrl,
    query: options.query,
  });
  return { report, checks };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

async function gatewayChecks(
  r: GatewayReport,
  ledger: GatewayLedger,
  ctx: {
    streamsNotWhole: number;
    tenant: { adminKey: string };
    serverUrl: string;
    query: <T extends Record<string, unknown>>(sql: string) => Promise<T[]>;
  },
): Promise<Check[]> {
  const names = Object.values(AGENTS);
  const inList = names.map((n) => `'${n}'`).join(', ');
  const perAgentSql = () =>
    ctx.query<{ name: string; n: number; micros: string }>(
      `SELECT a.name, count(e.id)::int AS n, coalesce(sum(e.cost_micros), 0)::text AS micros
         FROM agents a LEFT JOIN events e ON e.agent_id = a.id AND e.status = 'accepted'
        WHERE a.name IN (${inList}) GROUP BY a.name`,
    );
  // A stream's commit lands just after its client saw the end: wait (bounded) until every expected event is in.
  const deadline = Date.now() + 15_000;
  let rows = await perAgentSql();
  const settled = () =>
    names.every((n) => (rows.find((row) => row.name === n)?.n ?? 0) >= (ledger.perAgent.get(n)?.calls ?? 0));
  while (!settled() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    rows = await perAgentSql();
  }
  const eventMismatches: string[] = [];
  const spendMismatches: string[] = [];
  for (const name of names) {
    const expected = ledger.perAgent.get(name) ?? { calls: 0, micros: 0 };
    const row = rows.find((x) => x.name === name);
    if (row?.n !== expected.calls || row?.micros !== String(expected.micros))
      eventMismatches.push(
        `${name}: ${row?.n} events / ${row?.micros} micros vs ${expected.calls} calls / ${expected.micros} micros`,
      );
    const res = await call(ctx.serverUrl, `/v1/agents/${name}`, {
      headers: { authorization: `Bearer ${ctx.tenant.adminKey}` },
    });
    const spent = Number((res.body?.agent ?? res.body)?.spend?.month_micros);
    if (res.status !== 200 || spent !== expected.micros)
      spendMismatches.push(`${name}: API ${spent} vs committed ${expected.micros}`);
  }
  const [held] = await ctx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM reservations r JOIN agents a ON a.id = r.agent_id
      WHERE a.name IN (${inList}) AND r.status = 'held'`,
  );
  const ns = r.nonStreamed;
  const st = r.streamed;
  const cs = r.concurrentStreams;
  const loops = [ns.direct, ns.gateway, st.direct, st.gateway];
  const errors = loops.reduce((n, l) => n + l.errors + l.non200 + l.streamsNotWhole, 0);
  const perAgent = [...ledger.perAgent].map(([n, e]) => `${n} ${e.calls}`).join(', ');
  return [
    {
      name: `gateway: added p50, non-streamed chat completion at ${r.rate} req/s <= ${TARGETS.gatewayAddedP50Ms} ms`,
      ok: ns.added.p50 <= TARGETS.gatewayAddedP50Ms,
      detail: `${ns.added.p50} ms (through the gateway ${ns.gateway.p50} ms − direct ${ns.direct.p50} ms)`,
    },
    {
      name: `gateway: added p99, non-streamed chat completion at ${r.rate} req/s <= ${TARGETS.gatewayAddedP99Ms} ms`,
      ok: ns.added.p99 <= TARGETS.gatewayAddedP99Ms,
      detail: `${ns.added.p99} ms (through the gateway ${ns.gateway.p99} ms − direct ${ns.direct.p99} ms)`,
    },
    {
      name: `gateway: added time to first byte p50, streamed chat completion at ${r.rate} req/s <= ${TARGETS.gatewayAddedTtfbMs} ms`,
      ok: st.addedTtfb.p50 <= TARGETS.gatewayAddedTtfbMs,
      detail: `${st.addedTtfb.p50} ms (through the gateway ${st.gateway.ttfbP50} ms − direct ${st.direct.ttfbP50} ms; p99 added ${st.addedTtfb.p99} ms)`,
    },
    {
      name: `gateway: zero errors at ${r.rate} req/s (non-streamed and streamed, direct and through the gateway)`,
      ok: errors === 0,
      detail: loops
        .map(
          (l, i) =>
            `${['direct', 'gateway', 'direct streamed', 'gateway streamed'][i]}: ${l.errors}/${l.non200}/${l.streamsNotWhole}`,
        )
        .join('; ')
        .concat(' (transport errors / non-200 / streams not whole)'),
    },
    {
      name: `gateway: ${cs.streams} streams open at once, every one fully received, zero errors`,
      ok: cs.peakOpen === cs.streams && cs.fullyReceived === cs.streams && cs.errors === 0,
      detail: `peak ${cs.peakOpen} open, ${cs.fullyReceived} fully received (${cs.chunks} chunks each, ending [DONE]), ${cs.errors} failed, statuses ${JSON.stringify(cs.statuses)}`,
    },
    {
      name: 'gateway: events per agent (SQL count, sum of cost_micros) = calls answered and their costs',
      ok: eventMismatches.length === 0 && ledger.missingCost === 0,
      detail:
        eventMismatches.length === 0
          ? `${ledger.calls} calls (${perAgent}), ${ledger.missingCost} answers without X-Spendguard-Cost-Micros`
          : `${eventMismatches.join('; ')}; ${ledger.missingCost} answers without X-Spendguard-Cost-Micros`,
    },
    {
      name: 'gateway: agent spend (GET /v1/agents/{name} spend.month_micros) = committed costs',
      ok: spendMismatches.length === 0,
      detail:
        spendMismatches.length === 0
          ? [...ledger.perAgent].map(([n, e]) => `${n} ${e.micros}`).join(', ')
          : spendMismatches.join('; '),
    },
    {
      name: 'gateway: no hold left open',
      ok: held?.n === 0,
      detail: `${held?.n} reservations still held`,
    },
  ];
}
