// What the guarded LLM clients need from the caller and from the Spendguard client, typed structurally so a
// Spendguard built with either `onUnavailable` policy fits (a fail-open hold's commit records nothing).

import type { CommitParams, Logger, ReserveParams } from '../types.js';
import type { TokenCounter } from './tokens.js';

/** A granted hold, as `Spendguard.reserve()` returns it. */
export interface GuardHold {
  commit(params: CommitParams): Promise<unknown>;
  release(): Promise<unknown>;
}

/** The part of a `Spendguard` client the guards use. */
export interface GuardBackend {
  reserve(params: ReserveParams): Promise<GuardHold>;
}

/** A request body as the provider's client takes it. */
export type LLMRequest = Record<string, unknown>;

export interface GuardLLMOptions {
  /** The Spendguard client the holds and commits go through. */
  sg: GuardBackend;
  /** The agent every call is charged to. */
  agent: string;
  /** Optional run id: the agent's `run` limit caps what one run spends. */
  run?: string | undefined;
  /**
   * Counts the tokens of a text for the hold made before each call. Default: its UTF-8 byte count, an upper bound
   * for BPE tokenizers, so the hold is never too small. The committed cost always comes from the provider's usage.
   */
  countTokens?: TokenCounter | undefined;
  /**
   * Default: each call sends a SHA-256 hex of its model + messages (canonical JSON) as `fingerprint`, so the agent's
   * `repeats` limit stops a loop. `false` sends none; a function chooses the fingerprint (or none with `undefined`).
   */
  fingerprint?: false | ((request: LLMRequest) => string | undefined) | undefined;
  /** TTL of each hold (1–3600 s; server default 300): a hold never settled (a stream never read) expires then. */
  ttlSeconds?: number | undefined;
  /** Output tokens held for a request without max_tokens / max_completion_tokens / max_output_tokens. Default 4,096. */
  defaultMaxOutputTokens?: number | undefined;
  /** Receives a warning when a hold could not be released after a failed call (it then expires). Default console. */
  logger?: Logger | undefined;
}

/** Fails at wrap time, not at the first call, when the options cannot work. */
export function checkOptions(options: GuardLLMOptions, caller: string): void {
  if (typeof options?.sg?.reserve !== 'function')
    throw new TypeError(`${caller}: options.sg must be a Spendguard client`);
  if (typeof options.agent !== 'string' || options.agent === '') {
    throw new TypeError(`${caller}: options.agent is required`);
  }
}
