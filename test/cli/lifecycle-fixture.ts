// What the lifecycle tests share: a scratch directory with a state root, the CLI against
// that root, busybox bundles, `create` as the shim runs it, a subreaper that watches the
// pid-file's process, and a JSON-lines reader of its reports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import { makeRootfs, removeDir, scratchDir, writeConfig, type BundleOptions } from '../e2e/busybox-bundle.js';
import { REPO, runCli, TSSC, type CliResult } from './run-cli.js';

export const SUBREAPER = path.join(REPO, 'test', 'fixtures', 'subreaper.py');
export const CONSOLE_RECEIVER = path.join(REPO, 'test', 'fixtures', 'console-receiver.py');
export const PTY_TYPIST = path.join(REPO, 'test', 'fixtures', 'pty-typist.py');

/** A step of a person at a terminal (test/fixtures/pty-typist.py): wait for a pattern, type keys, pause, hang up. */
export type TypistStep = ['wait', string] | ['type', string] | ['sleep', number] | ['file', string] | ['hangup', 0];

/** What the terminal showed, the step it got stuck at (null: none), and the command's exit status. */
export interface TypistReport {
  output: string;
  failed: string | null;
  status: number | null;
}

/** The prompt of the shells INTERRUPTED_JOBS types into (PS1). */
export const TYPIST_PROMPT = 'ex> ';

/**
 * A person at an exec'd shell's terminal: ^C ends a foreground job (the shell sees status
 * 130), ^Z stops one, `fg` resumes it in the foreground and ^C ends it, ^\\ ends another
 * (131). Each job says when it has the terminal (by then the shell gave it the
 * foreground), with words the echo of the typed line does not contain.
 */
export const INTERRUPTED_JOBS: TypistStep[] = [
  ['wait', TYPIST_PROMPT],
  ['type', "sh -c 'echo up$((1+1)); exec sleep 100'\r"],
  ['wait', 'up2'],
  ['type', '\u0003'],
  ['wait', TYPIST_PROMPT],
  ['type', 'echo status=$?\r'],
  ['wait', 'status=130'],
  ['type', `sh -c 'trap "echo again\\$((2+2))" CONT; echo up$((1+2)); while :; do sleep 1; done'\r`],
  ['wait', 'up3'],
  ['type', '\u001a'],
  ['wait', 'Stopped'],
  ['type', 'fg\r'],
  ['wait', 'again4'],
  ['type', '\u0003'],
  ['wait', TYPIST_PROMPT],
  ['type', "sh -c 'echo up$((2+3)); exec sleep 100'\r"],
  ['wait', 'up5'],
  ['type', '\u001c'],
  ['wait', 'Quit'],
  ['type', 'echo status=$?; jobs\r'],
  ['wait', 'status=131'],
  ['type', 'exit 3\r'],
];

/**
 * A person typing steps at a terminal (see pty-typist.py): the command's own, or with
 * ['--console', SOCKET] the one a runtime sends there. `report` resolves once it is done.
 */
export function typist(steps: readonly TypistStep[], command: readonly string[], timeoutS = 60) {
  const child = spawn('python3', [PTY_TYPIST, String(timeoutS), JSON.stringify(steps), ...command], { stdio: ['ignore', 'pipe', 'inherit'] });
  const reports = new JsonLines(child.stdout);
  return { child, listening: () => reports.next('listening'), report: () => reports.next('output') as Promise<unknown> as Promise<TypistReport> };
}
export const hasPython = spawnSync('python3', ['-c', 'import socket; socket.recv_fds']).status === 0;

/** A line-by-line reader of a child's stdout, each line parsed as JSON. */
export class JsonLines {
  private readonly lines: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];

  constructor(stream: NodeJS.ReadableStream) {
    createInterface({ input: stream }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
      this.waiters.forEach((wake) => wake());
      this.waiters = [];
    });
  }

  /** The first line (not yet taken) with key; waits for it (bounded by the test's timeout). */
  async next(key: string): Promise<Record<string, unknown>> {
    for (;;) {
      const at = this.lines.findIndex((line) => key in line);
      if (at >= 0) return this.lines.splice(at, 1)[0]!;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** Waits until done() holds (bounded by the test's timeout). */
export async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 50));
}

export class LifecycleFixture {
  scratch = '';
  root = '';
  private counter = 0;
  /** Whatever a failed test left running: its containers, and the subreapers that watch them. */
  readonly started: ChildProcess[] = [];

  setUp(prefix: string): void {
    this.scratch = scratchDir(prefix);
    this.root = path.join(this.scratch, 'state');
  }

  cli(args: readonly string[]): CliResult {
    return runCli(['--root', this.root, ...args], { timeout: 60_000 });
  }

  /**
   * `tssc create` as the shim runs it: its stdio becomes the container's and stays open in
   * the sentry, so it goes to files here (a pipe would be read until the container ends).
   */
  create(args: readonly string[]): CliResult {
    const out = path.join(this.scratch, `create-${this.counter++}.out`);
    const fd = openSync(out, 'w');
    try {
      const result = spawnSync(process.execPath, [TSSC, '--root', this.root, 'create', ...args], { stdio: ['ignore', fd, fd], timeout: 60_000 });
      return { status: result.status, stdout: '', stderr: readFileSync(out, 'utf8') };
    } finally {
      closeSync(fd);
    }
  }

  cleanUp(): void {
    for (const id of this.cli(['list', '-q']).stdout.split('\n').filter(Boolean)) this.cli(['delete', '--force', id]);
    for (const child of this.started) child.kill('SIGKILL');
    removeDir(this.scratch);
  }

  /** A busybox bundle in a fresh directory, with extra spec fields merged in. */
  bundle(options: BundleOptions, extra: (config: Record<string, unknown>) => void = () => undefined): string {
    const dir = path.join(this.scratch, `bundle-${this.counter++}`);
    makeRootfs(dir);
    writeConfig(dir, options);
    const configPath = path.join(dir, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    extra(config);
    writeFileSync(configPath, JSON.stringify(config));
    return dir;
  }

  newId(): string {
    return `lc-${process.pid}-${this.counter++}`;
  }

  /** `tssc ARGS...` (create, or exec --detach) under a subreaper that reports the pid-file's process and its exit. */
  underSubreaper(name: string, args: (pidFile: string) => readonly string[], timeoutS = 60) {
    const pidFile = path.join(this.scratch, `${name}.pid`);
    const outFile = path.join(this.scratch, `${name}.out`);
    const child = spawn('python3', [SUBREAPER, pidFile, outFile, String(timeoutS), process.execPath, TSSC, '--root', this.root, ...args(pidFile)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.started.push(child);
    return { reports: new JsonLines(child.stdout), output: () => readFileSync(outFile, 'utf8'), pidFile };
  }

  /** `tssc create` under a subreaper that reports the pid-file's process and its exit. */
  createUnderSubreaper(dir: string, id: string, timeoutS = 60) {
    return this.underSubreaper(id, (pidFile) => ['create', '--bundle', dir, '--pid-file', pidFile, id], timeoutS);
  }

  state(id: string): Record<string, unknown> {
    const result = this.cli(['state', id]);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** The files tssc keeps in the state root (its own only: the log of a test may sit beside them). */
  stateFiles(): string[] {
    return readdirSync(this.root).filter((name) => name.includes('.tssc-'));
  }
}
