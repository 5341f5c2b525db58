// Job control and interactive shells: bash (dynamic, from the host's Debian packages) and
// busybox sh run as the container's init on a terminal (tmux gives `tssc run` a tty and
// process.terminal asks for it); keys are typed into tmux and the screen is read back.
// Also the busybox programs whose vfork child runs without exec'ing at once (tar's gzip,
// time), named fifos, and the virtual pids in a signal handler's siginfo, compared with
// chroot or the native run where the reference needs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { chrootRun, hasBusybox, hasCompiler, installCProgram, makeRootfs, REPO, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const PROMPT = 'jc> ';
/** How long a screen may take to show what a step expects. */
const SCREEN_TIMEOUT_MS = 15_000;
/**
 * After the screen shows that a shell started a foreground job, the job still has to be
 * forked and given the terminal before a typed ^C or ^Z is its own: nothing outside the
 * sandbox shows that moment, so the keys wait this long.
 */
const JOB_SETTLE_MS = 500;
/** How long a key that may have come too early gets before it is pressed again. */
const KEY_RETRY_MS = 1000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A detached tmux session running one command on a 120x30 terminal, on a tmux server of
 * its own: on a shared server, the kill of the last session ends the server while the
 * next test's new-session may be connecting to it ("server exited unexpectedly").
 */
class Terminal {
  /** The server's socket, alone in a scratch directory. */
  private readonly socket = path.join(scratchDir('tssc-tmux-'), 'socket');

  constructor(
    readonly name: string,
    command: string,
  ) {
    this.tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '30', command);
  }

  /** A tmux command to this terminal's own server. */
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }

  /** What the terminal showed since it started (the scrollback too, so counts never shrink). */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-S', '-', '-t', this.name);
  }

  /** Types text (literally) and then the named keys (Enter, C-c, C-z). */
  type(text: string, ...keys: string[]): void {
    if (text) this.tmux('send-keys', '-t', this.name, '-l', text);
    if (keys.length > 0) this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Polls the screen until it matches (bounded); returns it. */
  async waitFor(pattern: RegExp): Promise<string> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}:\n${screen}`);
      await delay(50);
    }
  }

  /**
   * Presses key until the screen matches, for a key that is harmless when repeated
   * (^Z at the shell's own prompt is ignored) and may come before the job runs.
   */
  async pressUntil(key: string, pattern: RegExp): Promise<string> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS;
    for (;;) {
      this.type('', key);
      const pressed = Date.now();
      while (Date.now() - pressed < KEY_RETRY_MS) {
        const screen = this.screen();
        if (pattern.test(screen)) return screen;
        await delay(50);
      }
      if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}:\n${this.screen()}`);
    }
  }

  /** The number of prompts on the screen (a new one means the shell is back); tmux drops trailing blanks. */
  prompts(): number {
    return this.screen().split('\n').filter((line) => line.startsWith(PROMPT.trimEnd())).length;
  }

  async waitForPrompt(after: number): Promise<void> {
    const deadline = Date.now() + SCREEN_TIMEOUT_MS;
    while (this.prompts() <= after) {
      if (Date.now() > deadline) throw new Error(`no new prompt:\n${this.screen()}`);
      await delay(50);
    }
  }

  kill(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
    removeDir(path.dirname(this.socket));
  }
}

/** config.json for an interactive shell on the caller's terminal. */
function writeTerminalConfig(bundle: string, root: { path: string; readonly: boolean }, args: string[]): void {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID'];
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/bin:/bin', 'TERM=xterm', 'HOME=/root', `PS1=${PROMPT}`],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
    },
    root,
    hostname: 'tssc-jobs',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }] },
  };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
}

let sessions = 0;

/** `tssc run` of the bundle in a tmux terminal; the pane then shows tssc's exit status. */
function startShell(bundle: string): Terminal {
  const tssc = path.join(REPO, 'bin', 'tssc.js');
  const id = `jobs-${process.pid}-${sessions}`;
  const command = `${process.execPath} ${tssc} --root ${path.join(bundle, 'state')} run --bundle ${bundle} ${id}; echo "tssc exited $?"; sleep 600`;
  return new Terminal(`tssc-jobs-${process.pid}-${sessions++}`, command);
}

/** Runs a command line at the shell's prompt and waits for the next prompt. */
async function command(term: Terminal, line: string): Promise<void> {
  const prompts = term.prompts();
  term.type(line, 'Enter');
  await term.waitForPrompt(prompts);
}

/** Runs a command line again and again until the screen shows pattern (bounded). */
async function commandUntil(term: Terminal, line: string, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + SCREEN_TIMEOUT_MS;
  for (;;) {
    await command(term, line);
    if (pattern.test(term.screen())) return;
    if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}:\n${term.screen()}`);
  }
}

/** The same session, step by step, for each shell. */
async function jobControlSession(term: Terminal): Promise<void> {
  await term.waitForPrompt(0);
  expect(term.screen()).not.toMatch(/job control turned off|no job control/);

  term.type('echo pid-$$', 'Enter');
  await term.waitFor(/^pid-1$/m);

  await command(term, 'sleep 100 &');
  await command(term, 'jobs');
  expect(term.screen()).toMatch(/\[1\][+ ]\s+Running\s+sleep 100/);

  // ^C of a foreground job: the job ends, the shell lives on.
  term.type('echo fg-$((1+1)); sleep 100', 'Enter');
  await term.waitFor(/^fg-2$/m);
  await delay(JOB_SETTLE_MS);
  let prompts = term.prompts();
  term.type('', 'C-c');
  await term.waitForPrompt(prompts);
  term.type('echo alive-$((2+3))', 'Enter');
  await term.waitFor(/^alive-5$/m);

  // ^Z stops the foreground job; fg brings it back to the foreground, where ^C ends it.
  term.type('echo stop-$((3+3)); sleep 100', 'Enter');
  await term.waitFor(/^stop-6$/m);
  await delay(JOB_SETTLE_MS);
  await term.pressUntil('C-z', /\[2\][+ ]\s+Stopped\s+sleep 100/);
  prompts = term.prompts();
  term.type('fg %2', 'Enter');
  await term.waitFor(/^sleep 100$/m);
  await delay(JOB_SETTLE_MS);
  term.type('', 'C-c');
  await term.waitForPrompt(prompts);
  term.type('echo back-$((3+4))', 'Enter');
  await term.waitFor(/^back-7$/m);

  // A background job that reads the terminal is stopped (SIGTTIN), not handed the input.
  await command(term, 'cat &');
  await commandUntil(term, 'jobs', /Stopped.*\s+cat$/m);

  await command(term, 'kill %1');
  await command(term, 'kill -9 %cat');
  // The shell must see the end before exit (or it would warn of a stopped job). Neither
  // shell's wait waits for a stopped job, and bash drops a SIGCHLD that lands while it
  // prints job notifications (notify_of_job_status counts it in queue_sigchld and never
  // looks at the count again), natively too; under the sentry the end of a killed job
  // reaches the shell a little later, so it lands there often. A foreground child's wait
  // reaps every ended child, so each round runs one.
  await commandUntil(term, 'sleep 0; jobs', /Killed\s+cat$/m);
  term.type('exit 7', 'Enter');
  await term.waitFor(/^tssc exited 7$/m);
}

describe.skipIf(!hasBusybox() || !hasTmux)('interactive shells with job control under tmux', () => {
  const dirs: string[] = [];
  const terminals: Terminal[] = [];

  afterAll(() => {
    for (const term of terminals) term.kill();
    for (const dir of dirs) removeDir(dir);
  });

  it('busybox sh -i: $$, &, jobs, ^C, ^Z, fg, exit status', async () => {
    const dir = scratchDir('tssc-jobs-busybox-');
    dirs.push(dir);
    makeRootfs(dir);
    writeTerminalConfig(dir, { path: 'rootfs', readonly: false }, ['sh', '-i']);
    const term = startShell(dir);
    terminals.push(term);
    await jobControlSession(term);
  }, 60_000);

  it('bash -i (dynamic): $$, &, jobs, ^C, ^Z, fg, exit status', async () => {
    const rootfs = debianRootfs({ programs: ['bash', 'sleep', 'cat'], trees: [] });
    const dir = scratchDir('tssc-jobs-bash-');
    dirs.push(dir);
    writeTerminalConfig(dir, { path: rootfs, readonly: true }, ['bash', '--norc', '-i']);
    const term = startShell(dir);
    terminals.push(term);
    await jobControlSession(term);
  }, 60_000);
});

describe.skipIf(!hasBusybox() || !hasTmux || !hasCompiler())('terminal settings and blocked stops under tmux', () => {
  let dir: string;
  let term: Terminal | undefined;

  beforeAll(() => {
    dir = scratchDir('tssc-jobs-tty-');
    const rootfs = makeRootfs(dir);
    installCProgram(rootfs, path.join(REPO, 'test', 'e2e', 'fixtures', 'signals-tstp-blocked.c'), 'tstp-blocked', 'static');
    writeTerminalConfig(dir, { path: 'rootfs', readonly: false }, ['sh', '-i']);
  });

  afterAll(() => {
    term?.kill();
    removeDir(dir);
  });

  it('a background stty is stopped by SIGTTOU unless it ignores it; ^Z leaves a program that blocks SIGTSTP running', async () => {
    term = startShell(dir);
    await term.waitForPrompt(0);

    await command(term, 'stty -echo &');
    await commandUntil(term, 'jobs', /Stopped.*stty -echo/);
    await command(term, 'kill -9 %1');

    // The shell waits for the job: a background stty racing the shell's next prompt can
    // leave echo off when ash reads the terminal's settings, and then ash reads its line
    // with fgets, which the job's SIGCHLD interrupts (EINTR, no SA_RESTART): ash takes
    // that for end of input and exits 0, natively as under tssc.
    await command(term, "sh -c 'trap \"\" TTOU; stty -echo; echo ttou-ignored-$?; stty echo' & wait");
    await term.waitFor(/ttou-ignored-0$/m);

    term.type('tstp-blocked; echo status-$?', 'Enter');
    await term.waitFor(/^tstp-blocked-ready$/m);
    await delay(JOB_SETTLE_MS);
    await term.pressUntil('C-z', /TSTP pending, still running$/m);
    await term.waitFor(/^status-0$/m);
    expect(term.screen()).not.toMatch(/Stopped.*tstp-blocked/);

    term.type('exit 3', 'Enter');
    await term.waitFor(/^tssc exited 3$/m);
  }, 60_000);

  it('a window resize reaches the foreground job as SIGWINCH, and stty size follows it', async () => {
    term?.kill();
    term = startShell(dir);
    await term.waitForPrompt(0);
    await command(term, 'stty size');
    await term.waitFor(/^30 120$/m);
    term.type('sh -c \'trap "stty size; exit 0" WINCH; echo winch-ready; while true; do sleep 1; done\'; echo job-$?', 'Enter');
    await term.waitFor(/^winch-ready$/m);
    term.tmux('resize-window', '-t', term.name, '-x', '100', '-y', '25');
    await term.waitFor(/^25 100\njob-0$/m);
    term.type('exit 4', 'Enter');
    await term.waitFor(/^tssc exited 4$/m);
  }, 60_000);

  it('tty names the terminal /dev/pts/0, as under runc, and /dev/console is it too', async () => {
    term?.kill();
    term = startShell(dir);
    await term.waitForPrompt(0);
    await command(term, 'tty; readlink /proc/self/fd/2; [ /dev/pts/0 -ef /proc/self/fd/0 ] && echo same-file; echo hi >/dev/console; ls -1 /dev/pts');
    await term.waitFor(/^\/dev\/pts\/0\n\/dev\/pts\/0\nsame-file\nhi\n0\nptmx\n/m);
    term.type('exit 5', 'Enter');
    await term.waitFor(/^tssc exited 5$/m);
  }, 60_000);

  it('^C and ^\\ on the terminal leave an init without handlers running, as under runc', async () => {
    term?.kill();
    const bundle = scratchDir('tssc-jobs-init-');
    makeRootfs(bundle);
    writeTerminalConfig(bundle, { path: 'rootfs', readonly: false }, ['cat']);
    term = startShell(bundle);
    term.type('before-$((1))', 'Enter');
    await term.waitFor(/^before-\$\(\(1\)\)\nbefore-\$\(\(1\)\)$/m);
    term.type('', 'C-c');
    // A signal key flushes the terminal's output queue (n_tty's isig): a ^\ typed before the
    // ^C echo reached the screen would drop it, natively too.
    await term.waitFor(/^\^C/m);
    term.type('', 'C-\\');
    term.type('after', 'Enter');
    // The line discipline echoes the two keys as ^C^\ before the typed line.
    await term.waitFor(/^\^C\^\\after\nafter$/m);
    term.type('', 'C-d');
    await term.waitFor(/^tssc exited 0$/m);
    removeDir(bundle);
  }, 60_000);
});

describe.skipIf(!hasBusybox())('busybox vfork children and fifos', () => {
  let dir: string;
  let rootfs: string;

  beforeAll(() => {
    dir = scratchDir('tssc-vfork-');
    rootfs = makeRootfs(dir);
  });

  afterAll(() => removeDir(dir));

  function run(script: string): ReturnType<typeof tsscRun> {
    writeConfig(dir, { args: ['sh', '-c', script] });
    return tsscRun(dir);
  }

  it('a named fifo carries data from a background writer', () => {
    const result = run('mkfifo /tmp/p; (echo hi > /tmp/p &); cat /tmp/p');
    expect(result).toMatchObject({ status: 0, stdout: 'hi\n' });
  });

  it('time (its vfork child runs the program) reports and keeps the exit status', () => {
    const result = run('time true; echo "status $?"; time sh -c "exit 3"; echo "status $?"');
    expect(result.stdout).toBe('status 0\nstatus 3\n');
    expect(result.stderr).toMatch(/^real\s/m);
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasCompiler())('a SA_SIGINFO handler sees virtual pids: the sender of a kill and the child of SIGCHLD', () => {
    const binary = installCProgram(rootfs, path.join(REPO, 'test', 'e2e', 'fixtures', 'sigchld-siginfo.c'), 'sigchld-siginfo', 'static');
    const native = execFileSync(binary, { encoding: 'utf8' });
    expect(native).toBe('SIGUSR1 from the child: yes\nSIGCHLD from the child: yes, CLD_EXITED: yes, status 5\n');
    expect(run('sigchld-siginfo')).toMatchObject({ status: 0, stdout: native });
  });

  it.skipIf(!isRoot)('tar czf then tar xzf (gzip in a vfork child) round-trips as under chroot', () => {
    const script = 'cd /data && tar czf /tmp/d.tgz . && mkdir /tmp/out && cd /tmp/out && tar xzf /tmp/d.tgz && find . | sort && cat sub/notes.md && cmp fruits.txt /data/fruits.txt && echo same';
    // tssc first: its writes stay in memory, chroot's reach the host rootfs.
    const sandboxed = run(script);
    const reference = chrootRun(rootfs, ['sh', '-c', script]);
    expect(reference.status).toBe(0);
    expect(sandboxed).toEqual(reference);
  });
});
