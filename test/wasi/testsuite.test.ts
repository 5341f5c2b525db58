// The official wasi-testsuite (WebAssembly/wasi-testsuite, prod/testsuite-base): its 72
// prebuilt preview1 cases (AssemblyScript, C, Rust), each run by `tssc run` as its
// .json says (args, env, the "root" directory as the sandbox's /, exit code, stdout),
// as the suite's own runner runs them on wasmtime. test/fixtures/wasi-testsuite says
// where the archive comes from.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, removeDir, scratchDir } from '../e2e/busybox-bundle.js';
import { ensureCompiled } from './harness.js';

const ARCHIVE = path.join(REPO, 'test', 'fixtures', 'wasi-testsuite', 'preview1.tar.gz');

/**
 * The cases tssc fails, and why (docs/wasi.md). tssc adds HOME to the environment as runc
 * does, so a module that lists its environment sees one variable more than the .json
 * gives. And tssc preopens the bundle's root on fd 3 for every module, as runwasi and
 * crun do, where the suite's runner preopens nothing for a case without "root": the case
 * expects fd 3 to be closed (wasmtime, too, answers ENOTSOCK for a preopened fd).
 */
const EXPECTED_FAILURES: Record<string, string> = {
  'assemblyscript/environ_get-multiple-variables': 'HOME is added',
  'assemblyscript/environ_sizes_get-multiple-variables': 'HOME is added',
  'assemblyscript/environ_sizes_get-no-variables': 'HOME is added',
  'c/sock_shutdown-invalid_fd': 'fd 3 is the root preopen',
};

interface CaseSpec {
  args?: string[];
  env?: Record<string, string>;
  root?: string;
  exit_code?: number;
  stdout?: string;
  stderr?: string;
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
let cases: { id: string; suiteDir: string; name: string }[] = [];

beforeAll(() => {
  ensureCompiled();
  dir = scratchDir('tssc-wasi-testsuite-');
  mkdirSync(path.join(dir, 'suite'));
  execFileSync('tar', ['-xzf', ARCHIVE, '-C', path.join(dir, 'suite')]);
  for (const suite of readdirSync(path.join(dir, 'suite')).sort()) {
    const suiteDir = path.join(dir, 'suite', suite);
    for (const file of readdirSync(suiteDir).sort()) {
      if (file.endsWith('.wasm')) cases.push({ id: `${suite}/${file.slice(0, -5)}`, suiteDir, name: file.slice(0, -5) });
    }
  }
});
afterAll(() => removeDir(dir));

/** One case as a bundle: its root directory (or an empty one) with the module at /NAME.wasm. */
function runCase(index: number, suiteDir: string, name: string): Promise<{ spec: CaseSpec; outcome: Outcome }> {
  const jsonPath = path.join(suiteDir, `${name}.json`);
  const spec: CaseSpec = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : {};
  const bundle = path.join(dir, `case-${index}`);
  const rootfs = path.join(bundle, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  if (spec.root) cpSync(path.join(suiteDir, spec.root), rootfs, { recursive: true });
  cpSync(path.join(suiteDir, `${name}.wasm`), path.join(rootfs, `${name}.wasm`));
  const config = {
    ociVersion: '1.0.2',
    process: {
      user: { uid: 0, gid: 0 },
      args: [`/${name}.wasm`, ...(spec.args ?? [])],
      env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
      cwd: '/',
    },
    root: { path: 'rootfs' },
  };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
  // Output goes to files: Node's 'pipe' stdio is a socketpair, and a module's stdout must
  // not be a socket (sock_shutdown-not_sock), as under the suite's own runner.
  const outputs = ['stdout', 'stderr'].map((name) => path.join(bundle, name));
  const fds = outputs.map((file) => openSync(file, 'w'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(bundle, 'state'), 'run', '--bundle', bundle, `wts-${process.pid}-${index}`], { stdio: ['ignore', fds[0], fds[1]] });
    for (const fd of fds) closeSync(fd);
    child.on('close', (status) => {
      const [stdout, stderr] = outputs.map((file) => readFileSync(file, 'utf8'));
      resolve({ spec, outcome: { status, stdout: stdout!, stderr: stderr! } });
    });
  });
}

function failureOf(spec: CaseSpec, outcome: Outcome): string | undefined {
  const expectedStatus = spec.exit_code ?? 0;
  if (outcome.status !== expectedStatus) return `exit ${outcome.status}, expected ${expectedStatus}: ${outcome.stderr.trim().slice(0, 400)}`;
  if (spec.stdout !== undefined && outcome.stdout !== spec.stdout) return `stdout ${JSON.stringify(outcome.stdout)}, expected ${JSON.stringify(spec.stdout)}`;
  if (spec.stderr !== undefined && outcome.stderr !== spec.stderr) return `stderr ${JSON.stringify(outcome.stderr)}, expected ${JSON.stringify(spec.stderr)}`;
  return undefined;
}

describe('the official wasi-testsuite, preview1', () => {
  it('passes 68 of the 72 cases: all but those that list the environment or expect no preopen', async () => {
    expect(cases.length).toBe(72);
    const failures: Record<string, string> = {};
    // Two at a time: the machine has two cores.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const index = next++;
        const { id, suiteDir, name } = cases[index]!;
        const { spec, outcome } = await runCase(index, suiteDir, name);
        const failure = failureOf(spec, outcome);
        if (failure !== undefined) failures[id] = failure;
      }
    };
    await Promise.all([worker(), worker()]);
    expect(Object.keys(failures).sort()).toEqual(Object.keys(EXPECTED_FAILURES).sort());
    for (const [id, failure] of Object.entries(failures)) expect(failure, id).toMatch(/^(exit|stdout)/);
  }, 600_000);
});
