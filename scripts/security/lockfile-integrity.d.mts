/** Checks that every installed package of an npm lockfile is pinned by sha512 integrity and comes from the registry. */
export function checkLockfileIntegrity(path: string): {
  packages: number;
  withResolved: number;
  problems: string[];
};
