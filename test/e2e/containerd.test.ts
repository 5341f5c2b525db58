// tssc under containerd, as an operator runs it: a private containerd, a busybox image the
// test builds and imports, and `ctr run --runc-binary tssc`, which drives tssc through
// containerd's runc shim (containerd-shim-runc-v2) exactly as it drives runc.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageArchive } from '../fixtures/oci-image.mjs';
import { hasBusybox, makeRootfs, removeDir, scratchDir } from './busybox-bundle.js';
import { Containerd, hasContainerd } from '../fixtures/containerd.mjs';
import { TSSC } from '../cli/run-cli.js';
import { hasPython, INTERRUPTED_JOBS, TYPIST_PROMPT, typist } from '../cli/lifecycle-fixture.js';

const IMAGE = 'docker.io/library/tssc-busybox:e2e';
/** A namespace of our own: the shim keeps the runtime's state in /run/containerd/runc/NAMESPACE. */
const NAMESPACE = `tssc-e2e-${process.pid}`;
const hasScript = spawnSync('script', ['--version']).status === 0;

let scratch: string;
let containerd: Containerd;
let counter = 0;

function ctr(args: readonly string[], input = '') {
  return containerd.ctr(['--namespace', NAMESPACE, ...args], input);
}

function run(args: readonly string[], command: readonly string[], input = '') {
  return ctr(['run', '--rm', '--runc-binary', TSSC, ...args, IMAGE, `c${counter++}`, ...command], input);
}

describe.skipIf(!hasContainerd() || !hasBusybox())('containerd drives tssc through its runc shim', () => {
  beforeAll(async () => {
    scratch = scratchDir('tssc-containerd-');
    containerd = await Containerd.start(path.join(scratch, 'containerd'));
    const rootfs = makeRootfs(path.join(scratch, 'image'));
    const archive = imageArchive(scratch, rootfs, IMAGE, { Env: ['PATH=/bin'], Cmd: ['sh'] });
    const imported = ctr(['images', 'import', archive]);
    expect(imported.stderr).toBe('');
  });
  afterAll(() => {
    for (const id of ctr(['containers', 'list', '--quiet']).stdout.split('\n').filter(Boolean)) {
      ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]);
      ctr(['tasks', 'delete', '--force', id]);
      ctr(['containers', 'delete', id]);
    }
    containerd?.stop();
    rmSync(`/run/containerd/runc/${NAMESPACE}`, { recursive: true, force: true });
    removeDir(scratch);
  });

  it('prints the command\'s output and returns its exit code; stdin reaches it', () => {
    const result = run([], ['sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(result).toMatchObject({ status: 7, stdout: 'out\n', stderr: 'err\n' });
    expect(run([], ['sh', '-c', 'read line; echo "got $line"'], 'piped\n')).toMatchObject({ status: 0, stdout: 'got piped\n' });
  });

  it.skipIf(!hasScript)('gives -t a terminal whose size is the caller\'s', () => {
    // ctr sets the terminal's first size from a goroutine that races the start (busybox
    // stty prints nothing on stdout while the size is 0): wait for it.
    const waitForSize = 'while [ -z "$(stty size 2>/dev/null)" ]; do sleep 0.1; done; stty size; exit 5';
    const command = ['ctr', '--address', containerd.address, '--namespace', NAMESPACE, 'run', '--rm', '-t', '--runc-binary', TSSC, IMAGE, `c${counter++}`, 'sh', '-c', waitForSize];
    const quoted = command.map((word) => `'${word}'`).join(' ');
    const result = spawnSync('script', ['-qec', `stty rows 21 cols 77; ${quoted}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000 });
    expect(result.stdout).toContain('21 77');
    expect(result.status).toBe(5);
  });

  // A dozen ctr calls through the shim: minutes on a loaded machine.
  it('runs a detached task: ps, pause and resume, kill with a handler, SIGKILL, delete', async () => {
    const id = `d${counter++}`;
    const started = ctr(['run', '-d', '--runc-binary', TSSC, IMAGE, id, 'sh', '-c', 'trap "echo term" TERM; sleep 1000 & while true; do wait $!; done']);
    expect(started).toMatchObject({ status: 0, stderr: '' });
    const exec = ctr(['tasks', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'read line; echo "exec got $line, ppid $PPID"; cat /proc/1/comm; exit 3'], 'piped\n');
    expect(exec).toMatchObject({ status: 3, stdout: 'exec got piped, ppid 0\nsh\n', stderr: '' });
    if (hasScript) {
      // exec -t: the shim's console socket gets the pty master (kubectl exec -it's way in),
      // and sets its size as ctr resizes it (from a goroutine that races the start).
      const waitForSize = '[ -t 0 ] && [ -t 1 ] && echo a terminal; while [ -z "$(stty size 2>/dev/null)" ]; do sleep 0.1; done; stty size; exit 5';
      const command = ['ctr', '--address', containerd.address, '--namespace', NAMESPACE, 'tasks', 'exec', '-t', '--exec-id', 'e2', id, 'sh', '-c', waitForSize];
      const quoted = command.map((word) => `'${word}'`).join(' ');
      const tty = spawnSync('script', ['-qec', `stty rows 21 cols 77; ${quoted}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000 });
      expect(tty.stdout).toMatch(/a terminal\r+\n[^]*21 77/);
      expect(tty.status).toBe(5);
    }
    if (hasPython) {
      // ^C, ^Z and ^\\ typed at `ctr task exec -t` reach the foreground job of the exec'd shell.
      const shell = ['ctr', '--address', containerd.address, '--namespace', NAMESPACE, 'tasks', 'exec', '-t', '--exec-id', 'e3', id, 'env', `PS1=${TYPIST_PROMPT}`, 'sh'];
      const typed = await typist(INTERRUPTED_JOBS, shell).report();
      expect(typed).toMatchObject({ failed: null, status: 3 });
      expect(typed.output).toMatch(/status=130[^]*Stopped[^]*again4[^]*status=131/);
    }
    const ps = ctr(['tasks', 'ps', id]);
    expect(ps.stdout.split('\n')[0]).toMatch(/^PID\s+INFO/);
    expect(ps.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(3);
    expect(ctr(['tasks', 'pause', id])).toMatchObject({ status: 0, stderr: '' });
    expect(ctr(['tasks', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+PAUSED`));
    expect(ctr(['tasks', 'resume', id])).toMatchObject({ status: 0, stderr: '' });
    expect(ctr(['tasks', 'kill', '--signal', 'SIGTERM', id]).status).toBe(0);
    expect(ctr(['tasks', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
    expect(ctr(['tasks', 'kill', '--signal', 'SIGKILL', id]).status).toBe(0);
    for (let i = 0; i < 100 && !/STOPPED/.test(ctr(['tasks', 'ls']).stdout); i++) await new Promise((r) => setTimeout(r, 100));
    expect(ctr(['tasks', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
    const deleted = ctr(['tasks', 'delete', id]);
    expect(deleted.status).toBe(0);
    expect(deleted.stderr).toMatch(/exit code 137/);
    expect(ctr(['containers', 'delete', id]).status).toBe(0);
  }, 180_000);

  it('surfaces why a command cannot start', () => {
    const result = run([], ['/no/such/program']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/OCI runtime create failed: \/no\/such\/program: ENOENT/);
  });
});
