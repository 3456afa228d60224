// The embedded data dir belongs to one server process at a time: `server.pid` in it, created exclusively, names the
// owner. A second server on the same dir stops at start naming the first's pid; a file left by a process that no
// longer runs (a crash, kill -9) is taken over.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../startup-error.js';

export interface DataDirLock {
  release(): void;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'server.pid');
  const mine = String(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${mine}\n`, { flag: 'wx', mode: 0o600 });
      return {
        release() {
          try {
            if (readFileSync(file, 'utf8').trim() === mine) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // removed between our two looks: try again
    }
    if (Number.isInteger(owner) && owner > 0 && running(owner)) {
      throw new StartupError(
        `the embedded data dir ${dataDir} is in use by another Spendguard server (pid ${owner}); stop it, or give ` +
          `this one its own SPENDGUARD_DATA_DIR (if no such process runs, delete ${file})`,
      );
    }
    try {
      unlinkSync(file); // left by a process that is gone
    } catch {
      // another starter took it over first: try again
    }
  }
  throw new StartupError(`could not take the embedded data dir ${dataDir}: its server.pid keeps changing`);
}
