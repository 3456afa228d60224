// Which URLs an endpoint may have (docs/api.md §13): https to a public address unless SPENDGUARD_WEBHOOK_ALLOW_PRIVATE=1
// (then http and any address, e.g. a receiver on this machine). Checked here on the URL as written; the address a
// name resolves to is checked at every attempt, by the delivery's connection (gateway/upstream-dispatcher.ts).
import { namesPrivateHost } from '../gateway/upstream-address.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** null when `raw` is allowed, else the problem, written for a 400's detail. */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL, e.g. https://hooks.example.com/spendguard';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    return allowPrivate ? 'must use http or https' : 'must use https';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain a username or password';
  if (url.hash !== '' || url.href.includes('#')) return 'must not contain a fragment';
  if (!allowPrivate && namesPrivateHost(url))
    return 'must not point to a private, loopback or reserved address';
  return null;
}
