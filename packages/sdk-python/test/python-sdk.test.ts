// The Python SDK (packages/sdk-python) against a real server: starts one on PostgreSQL + Redis with the test harness,
// then runs the package's unittest suite (`python3 -m unittest discover`) against it. Also `mypy --strict` on the
// package when mypy is installed, and a `pip install` of the package into a fresh venv without a package index.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signupAndAdminKey, startTestServer, type TestServer } from '../../../apps/server/test/harness.js';

const PACKAGE = join(import.meta.dirname, '..');
const PYTHON = process.env.PYTHON ?? 'python3';

interface Run {
  code: number | null;
  output: string;
}

/** Runs a command without blocking the event loop (the server under test lives in this process). */
function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 240_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PACKAGE, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function onPath(command: string): Promise<boolean> {
  try {
    return (await run('sh', ['-c', `command -v ${command}`])).code === 0;
  } catch {
    return false;
  }
}

describe('python sdk', () => {
  let server: TestServer;
  let adminKey: string;

  before(async () => {
    server = await startTestServer({ env: { SPENDGUARD_WEBHOOK_ALLOW_PRIVATE: '1' } });
    adminKey = (await signupAndAdminKey(server.url)).adminKey;
  });
  after(async () => {
    await server.close();
  });

  it('the unittest suite passes against the real server', async () => {
    const result = await run(PYTHON, ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
      SPENDGUARD_URL: server.url,
      SPENDGUARD_API_KEY: adminKey,
      PYTHONPATH: join(PACKAGE, 'src'),
      PYTHONDONTWRITEBYTECODE: '1',
    });
    if (result.code !== 0) console.log(result.output);
    assert.equal(result.code, 0, `python3 -m unittest failed:\n${result.output}`);
    assert.doesNotMatch(result.output, /skipped 'SPENDGUARD_URL/, 'the server tests must run, not skip');
    const summary = result.output.match(/Ran \d+ tests? in [\d.]+s/)?.[0];
    console.log(`python sdk: ${summary ?? 'no summary'}`);
  });

  it('mypy --strict passes on the package', async (t) => {
    if (!(await onPath('mypy'))) {
      t.skip('mypy is not on PATH (scripts/ci/ensure-system.sh installs it)');
      return;
    }
    const result = await run('mypy', ['--strict', '--cache-dir=/dev/null', 'src/spendguard']);
    assert.equal(result.code, 0, `mypy --strict failed:\n${result.output}`);
  });

  it('pip installs the package offline into a fresh venv, and it imports', async (t) => {
    // Offline means no build isolation (which would fetch setuptools from an index): the venv sees the system
    // site-packages for the build backend. setuptools < 70.1 also needs `wheel` for bdist_wheel, which pyenv's
    // Python may lack while Debian's has it: use the first interpreter that can build a wheel.
    const canBuild =
      'import setuptools, sys; v = tuple(int(x) for x in setuptools.__version__.split(".")[:2]); ' +
      'sys.exit(0 if v >= (70, 1) else __import__("importlib").util.find_spec("wheel") is None)';
    let python: string | undefined;
    for (const candidate of [PYTHON, '/usr/bin/python3']) {
      if ((await run(candidate, ['-c', canBuild]).catch(() => ({ code: 1 }))).code === 0) {
        python = candidate;
        break;
      }
    }
    if (python === undefined) {
      t.skip('no Python here has setuptools (>= 70.1, or with wheel) to build offline');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'sg-pyvenv-'));
    try {
      // Build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
      const source = join(dir, 'sdk-python');
      cpSync(PACKAGE, source, {
        recursive: true,
        filter: (path) => !/(__pycache__|\.mypy_cache|\.egg-info|[\\/]build)$/.test(path),
      });
      const venv = await run(python, ['-m', 'venv', '--system-site-packages', join(dir, 'venv')]);
      assert.equal(venv.code, 0, venv.output);
      const py = join(dir, 'venv', 'bin', 'python');
      const pip = await run(py, [
        '-m',
        'pip',
        'install',
        '--no-index',
        '--no-build-isolation',
        '--disable-pip-version-check',
        '--no-cache-dir',
        source,
      ]);
      assert.equal(pip.code, 0, `pip install failed (${python}):\n${pip.output}`);
      const imported = await run(
        py,
        [
          '-c',
          'import os, spendguard; ' +
            'assert "site-packages" in spendguard.__file__, spendguard.__file__; ' +
            'assert os.path.exists(os.path.join(os.path.dirname(spendguard.__file__), "py.typed")); ' +
            'print(spendguard.__version__, spendguard.Spendguard, spendguard.verify_webhook)',
        ],
        // Run from the package directory: its src/ is not on sys.path, only the installed copy is.
        { PYTHONPATH: '' },
      );
      assert.equal(imported.code, 0, imported.output);
      assert.match(imported.output, /^0\.1\.0 /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
