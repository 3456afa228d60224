// Password strength (docs/api.md §8): zxcvbn's estimate (the zxcvbn-ts port, with its list of common passwords and
// keyboard layouts) decides, not a hand-typed blocklist. A password below score 3 ("safely unguessable: moderate
// protection from an offline slow-hash attack") is refused: common passwords, keyboard runs, repetitions such as
// "aaaaaaaaaaaa" or "abcabcabcabc", and the user's own email or company name.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

const MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;

/** Built on first use: loading the dictionaries takes tens of milliseconds, which a server that never sees a signup
 * need not spend at start. */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  return estimator;
}

/** null when strong enough, otherwise the problem to report for the `password` field. */
export function passwordWeakness(password: string, userInputs: string[]): string | null {
  const result = zxcvbn().check(password, userInputs);
  if (result.score >= MIN_SCORE) return null;
  return 'is too easy to guess: avoid common passwords, keyboard runs, repeated characters and your own email or company name';
}
