// Resource limits and the program break under `tssc run`, compared with the same programs
// run natively: brk and sbrk, RLIMIT_AS, RLIMIT_DATA, RLIMIT_FSIZE (SIGXFSZ, EFBIG, the
// partial write), RLIMIT_CPU and prlimit on a child, static and dynamic, as root and as
// nobody; busybox sh's tac and ulimit as on the host.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, REPO, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig } from './busybox-bundle.js';

const FIXTURES = path.join(REPO, 'test', 'e2e', 'fixtures');
const NOBODY = 65534;
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

/** [name, fixture, arguments inside the sandbox, more for the static runs] */
const PROGRAMS: [string, string, string[], string[]][] = [
  ['brk', 'brk.c', [], []],
  // CPU time limits cost seconds of CPU: once per way of running is enough.
  ['rlimits', 'rlimits.c', ['/tmp'], ['cpu']],
];

describe.skipIf(!hasBusybox() || !hasCompiler())('resource limits and brk', () => {
  let dir: string;
  let rootfs: string;
  let copy: string | undefined;

  beforeAll(() => {
    dir = scratchDir('tssc-rlimits-');
    rootfs = makeRootfs(dir);
    for (const [name, fixture] of PROGRAMS) {
      installCProgram(rootfs, path.join(FIXTURES, fixture), `${name}-static`, 'static');
      installCProgram(rootfs, path.join(FIXTURES, fixture), `${name}-dynamic`, 'dynamic');
    }
    installCProgram(rootfs, path.join(FIXTURES, 'memfill.c'), 'memfill', 'static');
    if (canSetpriv) {
      copy = worldReadableCopy(path.join(dir, 'tssc'));
      mkdirSync(path.join(dir, 'states'));
      chmodSync(path.join(dir, 'states'), 0o1777);
    }
  });
  afterAll(() => removeDir(dir));

  /** The program natively, in a scratch directory standing for the sandbox's /tmp. */
  function native(binary: string, args: string[]) {
    const work = scratchDir('tssc-rlimits-native-');
    try {
      const result = spawnSync(binary, args.map((arg) => (arg === '/tmp' ? work : arg)), { encoding: 'utf8', timeout: 60_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    } finally {
      removeDir(work);
    }
  }

  for (const [name, , dynamicArgs, staticMore] of PROGRAMS) {
    const staticArgs = [...dynamicArgs, ...staticMore];
    for (const linkage of ['static', 'dynamic'] as const) {
      it(`${name} (${linkage}) prints what it prints natively`, () => {
        const program = `${name}-${linkage}`;
        const args = linkage === 'static' ? staticArgs : dynamicArgs;
        const reference = native(path.join(rootfs, 'bin', program), args);
        expect(reference.status).toBe(0);
        writeConfig(dir, { args: [`/bin/${program}`, ...args] });
        expect(tsscRun(dir)).toEqual(reference);
      });
    }
    it.skipIf(!canSetpriv)(`${name} (static) prints what it prints natively when tssc runs as nobody`, () => {
      const reference = native(path.join(rootfs, 'bin', `${name}-static`), staticArgs);
      writeConfig(dir, { args: [`/bin/${name}-static`, ...staticArgs] });
      expect(tsscRun(dir, [], { tsscDir: copy!, asUser: NOBODY, stateDir: path.join(dir, 'states', name) })).toEqual(reference);
    });
  }

  it('brk (static) starts right after the bss under setarch -R (ADDR_NO_RANDOMIZE), as natively', () => {
    const binary = path.join(rootfs, 'bin', 'brk-static');
    const native = spawnSync('setarch', ['x86_64', '-R', binary], { encoding: 'utf8' });
    expect(native.stdout).toContain('start_brk right after the bss: yes\n');
    writeConfig(dir, { args: ['/bin/brk-static'] });
    expect(tsscRun(dir, [], { wrapper: ['setarch', 'x86_64', '-R'] })).toEqual({ status: native.status, stdout: native.stdout, stderr: native.stderr });
  });

  it('sets what the sandbox sets on the host process, never above tssc\'s own hard limits', async () => {
    // The sandbox sets its CPU limit to 1000 s, past tssc's hard 100 s, and lowers its
    // address space; the host keeps 100 s (tssc runs as root here: the host would take
    // more), takes the lower AS, and holds RLIMIT_DATA at the memory limit (plus the
    // loader's 8 MiB stack).
    writeConfig(dir, {
      args: ['sh', '-c', 'ulimit -t 1000 && ulimit -v 500000 && echo "$(ulimit -t) $(ulimit -v)" && read line'],
      memoryLimit: 64 << 20,
    });
    const tssc = spawn('prlimit', ['--cpu=100:100', process.execPath, path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(dir, 'state'), 'run', '--bundle', dir, `rlimits-host-${process.pid}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const seen = await new Promise<string>((resolve) => tssc.stdout.once('data', (data: Buffer) => resolve(data.toString())));
    const limits = execFileSync('pgrep', ['-P', String(tssc.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((pid) => readFileSync(`/proc/${pid}/limits`, 'utf8'));
    tssc.stdin.end('go\n');
    await new Promise((resolve) => tssc.once('exit', resolve));
    expect(seen).toBe('1000 500000\n');
    expect(limits).toHaveLength(1);
    expect(limits[0]).toMatch(/^Max cpu time +100 +100 +seconds/m);
    expect(limits[0]).toMatch(new RegExp(`^Max address space +${500000 * 1024} +${500000 * 1024} +bytes`, 'm'));
    expect(limits[0]).toMatch(new RegExp(`^Max data size +${72 << 20} +${72 << 20} +bytes`, 'm'));
  });

  it('the spec\'s RLIMIT_CPU: SIGXCPU ends a spinning child; init ignores it and dies at the hard limit', () => {
    const rlimits = [{ type: 'RLIMIT_CPU', soft: 1, hard: 2 }];
    writeConfig(dir, { args: ['sh', '-c', '(while :; do :; done); echo "child $?"'], rlimits });
    expect(tsscRun(dir)).toEqual({ status: 0, stdout: 'child 152\n', stderr: 'CPU time limit exceeded\n' });
    // A pid namespace's init gets no signal it has no handler for but SIGKILL (natively, as
    // `unshare --pid --fork prlimit --cpu=1:2 sh -c ...` shows): the hard limit's SIGKILL ends it.
    writeConfig(dir, { args: ['sh', '-c', 'while :; do :; done'], rlimits });
    expect(tsscRun(dir)).toEqual({ status: 137, stdout: '', stderr: '' });
  });

  it('busybox tac, and ulimit -v, -f and -t in busybox sh, as on the host', () => {
    const script = [
      'seq 1 200000 > numbers; tac numbers | head -2; echo "tac $?"',
      '(ulimit -v 200000; memfill private 400 | tail -1 | sed "s/at [0-9]* MiB/at N MiB/")',
      '(ulimit -v 200000; memfill private 100 | tail -1)',
      '(ulimit -f 1; dd if=/dev/zero of=f bs=1k count=40 2>/dev/null; echo "dd $?"; wc -c < f)',
      '(ulimit -f 1; trap "" XFSZ; dd if=/dev/zero of=g bs=1k count=40 2>&1 | head -1; wc -c < g)',
      '(ulimit -t 1; while :; do :; done); echo "cpu hard $?"',
      '(ulimit -S -t 1; while :; do :; done); echo "cpu soft $?"',
      'rm numbers f g',
    ].join('\n');
    const work = scratchDir('tssc-rlimits-busybox-');
    let reference;
    try {
      const bin = path.join(work, 'bin');
      mkdirSync(bin);
      for (const applet of ['sh', 'seq', 'tac', 'head', 'tail', 'sed', 'dd', 'wc', 'rm']) execFileSync('ln', ['-s', BUSYBOX, path.join(bin, applet)]);
      execFileSync('cp', [path.join(rootfs, 'bin', 'memfill'), bin]);
      writeFileSync(path.join(work, 'run.sh'), script);
      const result = spawnSync(path.join(bin, 'sh'), ['run.sh'], { cwd: work, encoding: 'utf8', env: { PATH: bin }, timeout: 60_000 });
      reference = { status: result.status, stdout: result.stdout, stderr: result.stderr };
    } finally {
      removeDir(work);
    }
    expect(reference.stdout).toBe('200000\n199999\ntac 0\nrefused at N MiB: ENOMEM\nfilled 100 MiB\ndd 153\n512\ndd: error writing \'g\': File too large\n512\ncpu hard 137\ncpu soft 152\n');
    writeConfig(dir, { args: ['sh', '-c', script], cwd: '/tmp' });
    expect(tsscRun(dir)).toEqual(reference);
  });
});
