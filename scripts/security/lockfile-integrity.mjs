// lockfile-lint validates the hosts and schemes of `resolved` URLs and the hash type of `integrity`, but it passes
// an entry that has NO integrity at all, and this machine's npm writes no `resolved` URLs
// (omit-lockfile-registry-resolved=true). This check closes both gaps: every installed package must be pinned by a
// sha512 integrity hash, must come from the registry (a semver version, not a git/file/http spec), and any
// `resolved` URL present must be https://registry.npmjs.org/.
import { readFileSync } from 'node:fs';

const REGISTRY = 'https://registry.npmjs.org/';

/** @returns {{ packages: number, withResolved: number, problems: string[] }} */
export function checkLockfileIntegrity(path) {
  const lock = JSON.parse(readFileSync(path, 'utf8'));
  const problems = [];
  if (lock.lockfileVersion < 2) problems.push(`lockfileVersion ${lock.lockfileVersion}: need 2 or 3`);
  let packages = 0;
  let withResolved = 0;
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    // '' is the root project; keys without node_modules/ are our own workspace folders; links point at them.
    if (key === '' || !key.includes('node_modules/') || entry.link) continue;
    packages++;
    if (typeof entry.integrity !== 'string' || !/^sha512-[A-Za-z0-9+/]{86}==$/.test(entry.integrity)) {
      problems.push(`${key}: no sha512 integrity hash (${entry.integrity ?? 'missing'})`);
    }
    if (typeof entry.version !== 'string' || !/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/.test(entry.version)) {
      problems.push(`${key}: version ${entry.version} is not a registry release`);
    }
    if (entry.resolved !== undefined) {
      withResolved++;
      if (typeof entry.resolved !== 'string' || !entry.resolved.startsWith(REGISTRY)) {
        problems.push(`${key}: resolved from ${entry.resolved}, not ${REGISTRY}`);
      }
    }
  }
  if (packages === 0) problems.push('no packages found in the lockfile');
  return { packages, withResolved, problems };
}
