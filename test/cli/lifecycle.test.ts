// The runc contract as containerd's shim and podman's conmon drive it, through the built
// CLI: create holds the init before its first instruction and writes the pid whose exit
// status is the container's (checked by a subreaper, as the shim is one), start releases
// it, kill delivers inside the sandbox, ps lists host pids, a crashed sentry reads as
// stopped, delete leaves nothing behind; terminals over a console socket; hooks.
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, removeDir, scratchDir, worldReadableCopy, type BundleOptions } from '../e2e/busybox-bundle.js';
import { CONSOLE_RECEIVER, hasPython, JsonLines, LifecycleFixture, until } from './lifecycle-fixture.js';
import { runCli, TSSC, type CliResult } from './run-cli.js';

const fixture = new LifecycleFixture();
let scratch: string;
let root: string;

function setUp(prefix: string): void {
  fixture.setUp(prefix);
  ({ scratch, root } = fixture);
}

const cli = (args: readonly string[]): CliResult => fixture.cli(args);
const create = (args: readonly string[]): CliResult => fixture.create(args);
const cleanUp = (): void => fixture.cleanUp();
const bundle = (options: BundleOptions, extra?: (config: Record<string, unknown>) => void): string => fixture.bundle(options, extra);
const newId = (): string => fixture.newId();
const createUnderSubreaper = (dir: string, id: string, timeoutS?: number) => fixture.createUnderSubreaper(dir, id, timeoutS);
const state = (id: string): Record<string, unknown> => fixture.state(id);
const stateFiles = (): string[] => fixture.stateFiles();
const started = fixture.started;

describe.skipIf(!hasBusybox() || !hasPython)('the OCI lifecycle through the CLI', () => {
  beforeAll(() => {
    setUp('tssc-lifecycle-');
  });
  afterAll(cleanUp);

  it('holds the init before its first instruction; the pid-file names the process whose exit is the container\'s', async () => {
    const dir = bundle({ args: ['sh', '-c', 'echo started; exit 3'] });
    const id = newId();
    const { reports, output, pidFile } = createUnderSubreaper(dir, id);
    const { pid, pidfile } = (await reports.next('pid')) as { pid: number; pidfile: string };
    expect(pidfile).toBe(String(pid));
    expect(readFileSync(pidFile, 'utf8')).toMatch(/^\d+$/);
    expect(state(id)).toMatchObject({ ociVersion: '1.2.0', id, pid, status: 'created', bundle: dir, rootfs: path.join(dir, 'rootfs') });
    // Nothing of the program has run: the only process is the stub, stopped at its trap.
    const ps = cli(['ps', '--format', 'json', id]);
    const pids = JSON.parse(ps.stdout) as number[];
    expect(pids).toHaveLength(1);
    expect(readlinkSync(`/proc/${pids[0]}/exe`)).toMatch(/tssc-stub$/);
    expect(output()).toBe('');

    expect(cli(['start', id])).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(await reports.next('exited')).toEqual({ exited: 3 });
    expect(await reports.next('done')).toMatchObject({ others: [] });
    expect(output()).toBe('started\n');
    expect(state(id)).toMatchObject({ status: 'stopped', pid: 0 });
    expect(cli(['start', id]).stderr).toBe('tssc: cannot start a container that has stopped\n');
    expect(cli(['delete', id]).status).toBe(0);
    expect(stateFiles()).toEqual([]);
  });

  it('kills a created container (SIGKILL: 137) and spares its init a SIGTERM it has no handler for', async () => {
    const dir = bundle({ args: ['sh', '-c', 'echo never'] });
    const id = newId();
    const { reports, output } = createUnderSubreaper(dir, id);
    await reports.next('pid');
    expect(cli(['kill', id, 'TERM']).status).toBe(0);
    expect(state(id).status).toBe('created');
    expect(cli(['kill', id, 'KILL']).status).toBe(0);
    expect(await reports.next('exited')).toEqual({ exited: 137 });
    expect(output()).toBe('');
    expect(cli(['delete', id]).status).toBe(0);
  });

  it('delivers signals inside the sandbox: a handler runs, SIGKILL reports 137, and nothing is left behind', async () => {
    const dir = bundle({ args: ['sh', '-c', 'trap "echo got USR1" USR1; sleep 1000 & while true; do wait $!; done'] });
    const id = newId();
    const { reports, output } = createUnderSubreaper(dir, id);
    await reports.next('pid');
    expect(cli(['start', id]).status).toBe(0);
    expect(state(id).status).toBe('running');
    const pids = JSON.parse(cli(['ps', '--format', 'json', id]).stdout) as number[];
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const table = cli(['ps', id]).stdout.split('\n');
    expect(table[0]).toMatch(/^UID +PID +PPID/);
    expect(table.filter((line) => line !== '')).toHaveLength(pids.length + 1);
    expect(cli(['kill', id, '10']).status).toBe(0);
    for (let i = 0; i < 100 && !output().includes('got USR1'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(output()).toBe('got USR1\n');
    expect(cli(['delete', id]).stderr).toBe(`tssc: cannot delete container ${id} that is not stopped: running\n`);
    expect(cli(['kill', '--all', id, 'SIGKILL']).status).toBe(0);
    expect(await reports.next('exited')).toEqual({ exited: 137 });
    expect(await reports.next('done')).toMatchObject({ others: [] });
    // As containerd's shim does once init has exited: both must succeed.
    expect(cli(['kill', '--all', id, '9'])).toMatchObject({ status: 0, stderr: '' });
    expect(cli(['kill', id, '9']).stderr).toBe('tssc: container not running\n');
    expect(cli(['delete', id]).status).toBe(0);
    expect(cli(['delete', '--force', id]).status).toBe(0);
    expect(stateFiles()).toEqual([]);
  });

  it('pauses every process until resume: output stops, a signal waits for the resume, SIGKILL does not', async () => {
    const loop = 'while :; do echo $1; sleep 0.05; done';
    const dir = bundle({ args: ['sh', '-c', `trap "echo got TERM; exit 7" TERM; sh -c '${loop}' - child & ${loop.replace('$1', 'init')}`] });
    const id = newId();
    const { reports, output } = createUnderSubreaper(dir, id);
    await reports.next('pid');
    expect(cli(['start', id]).status).toBe(0);
    await until(() => output().includes('child\n') && output().includes('init\n'));

    expect(cli(['pause', id])).toMatchObject({ status: 0, stderr: '' });
    expect(state(id).status).toBe('paused');
    const pids = JSON.parse(cli(['ps', '--format', 'json', id]).stdout) as number[];
    expect(pids.length).toBeGreaterThanOrEqual(2);
    // Every thread of every process is stopped under the tracer on the host.
    for (const pid of pids) {
      for (const tid of readdirSync(`/proc/${pid}/task`)) expect(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]![0]).toBe('t');
    }
    const frozen = output();
    expect(cli(['kill', id, 'TERM']).status).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(output()).toBe(frozen);
    expect(cli(['pause', id]).stderr).toBe(`tssc: container ${id} is paused, not running\n`);

    expect(cli(['resume', id])).toMatchObject({ status: 0, stderr: '' });
    expect(await reports.next('exited')).toEqual({ exited: 7 });
    expect(output().slice(frozen.length)).toContain('got TERM\n');
    expect(cli(['resume', id]).stderr).toBe(`tssc: container ${id} is stopped, not paused\n`);
    expect(cli(['delete', '--force', id]).status).toBe(0);

    const again = newId();
    const second = createUnderSubreaper(bundle({ args: ['sh', '-c', `trap "" TERM; ${loop.replace('$1', 'on')}`] }), again);
    await second.reports.next('pid');
    expect(cli(['start', again]).status).toBe(0);
    await until(() => second.output().includes('on\n'));
    expect(cli(['pause', again]).status).toBe(0);
    expect(cli(['kill', '--all', again, 'KILL']).status).toBe(0);
    expect(await second.reports.next('exited')).toEqual({ exited: 137 });
    expect(await second.reports.next('done')).toMatchObject({ others: [] });
    expect(cli(['delete', '--force', again]).status).toBe(0);
    expect(stateFiles()).toEqual([]);
  });

  it('reads a container whose sentry was SIGKILLed as stopped, without waiting, and deletes it', async () => {
    const dir = bundle({ args: ['sleep', '1000'] });
    const id = newId();
    const { reports } = createUnderSubreaper(dir, id);
    const { pid } = (await reports.next('pid')) as { pid: number };
    expect(cli(['start', id]).status).toBe(0);
    process.kill(pid, 'SIGKILL');
    expect(await reports.next('exited')).toEqual({ exited: 137 });
    expect(state(id)).toMatchObject({ status: 'stopped', pid: 0 });
    expect(cli(['kill', id, 'KILL']).stderr).toBe('tssc: container not running\n');
    expect(JSON.parse(cli(['ps', '--format', 'json', id]).stdout)).toEqual([]);
    expect(cli(['delete', id]).status).toBe(0);
    expect(stateFiles()).toEqual([]);
  });

  it('kills through a sentry that does not answer: it gets the signal itself, never a hang', async () => {
    const dir = bundle({ args: ['sleep', '1000'] });
    const id = newId();
    const { reports } = createUnderSubreaper(dir, id);
    const { pid } = (await reports.next('pid')) as { pid: number };
    expect(cli(['start', id]).status).toBe(0);
    // A stopped sentry stands for a stuck one: its control socket accepts, nobody answers.
    process.kill(pid, 'SIGSTOP');
    const log = path.join(scratch, `${id}.log`);
    const killed = runCli(['--root', root, '--log', log, '--log-format', 'json', 'kill', id, 'KILL'], { timeout: 60_000 });
    expect(killed).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(readFileSync(log, 'utf8'))).toMatchObject({ level: 'warning', msg: expect.stringMatching(/did not answer "kill" within 5s: sending signal 9 to the sentry/) });
    expect(await reports.next('exited')).toEqual({ exited: 137 });
    expect(cli(['delete', id]).status).toBe(0);
  });

  it('gives a process.terminal container a pty whose master goes to the console socket', async () => {
    const dir = bundle({ args: ['sh', '-c', 'stty size; echo done'] }, (config) => {
      (config.process as { terminal: boolean }).terminal = true;
    });
    const id = newId();
    const socketPath = path.join(scratch, `${id}.sock`);
    const receiver = spawn('python3', [CONSOLE_RECEIVER, socketPath, '21', '73', '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(receiver);
    const reports = new JsonLines(receiver.stdout);
    await reports.next('listening');
    // The shim reads create's own output until EOF: the sentry must not hold it.
    const created = spawnSync(process.execPath, [TSSC, '--root', root, 'create', '--bundle', dir, '--console-socket', socketPath, id], { encoding: 'utf8', timeout: 60_000 });
    expect(created).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(await reports.next('payload')).toEqual({ payload: expect.stringMatching(/^\/dev\/pts\/\d+$/), fds: 1, isatty: true });
    expect(cli(['start', id]).status).toBe(0);
    expect((await reports.next('output')).output).toBe('21 73\r\ndone\r\n');
    expect(cli(['delete', id]).status).toBe(0);
  });

  it('gives a foreground run with process.terminal a pty of its own when stdin is no terminal, as runc does', () => {
    const script = 'tty; [ -t 0 ] && [ -t 2 ] && echo all-tty; read line; echo "got $line"; seq 1 20000; exit 3';
    const dir = bundle({ args: ['sh', '-c', script] }, (config) => {
      (config.process as { terminal: boolean }).terminal = true;
    });
    const run = spawnSync(process.execPath, [TSSC, '--root', root, 'run', '--bundle', dir, newId()], { input: 'hello\n', encoding: 'utf8', timeout: 60_000 });
    expect(run).toMatchObject({ status: 3, stderr: '' });
    // The pty echoes the line when it arrives, which may be before or after the first lines.
    const seq = Array.from({ length: 20000 }, (_, i) => `${i + 1}\r\n`).join('');
    expect(run.stdout.replace('hello\r\n', '')).toBe(`/dev/pts/0\r\nall-tty\r\ngot hello\r\n${seq}`);
  });

  it('runs the spec\'s hooks with the state on stdin, and fails create when one fails', async () => {
    const record = path.join(scratch, 'hooks.log');
    const hook = (phase: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${phase} $(cat) >> ${record}`] });
    const dir = bundle({ args: ['true'] }, (config) => {
      config.hooks = { createRuntime: [hook('createRuntime')], startContainer: [hook('startContainer')], poststart: [hook('poststart')], poststop: [hook('poststop')] };
    });
    const id = newId();
    const { reports } = createUnderSubreaper(dir, id);
    await reports.next('pid');
    expect(cli(['start', id]).status).toBe(0);
    await reports.next('exited');
    expect(cli(['delete', id]).status).toBe(0);
    const lines = readFileSync(record, 'utf8').trim().split('\n');
    expect(lines.map((line) => line.split(' ')[0])).toEqual(['createRuntime', 'startContainer', 'poststart', 'poststop']);
    const states = lines.map((line) => JSON.parse(line.slice(line.indexOf(' ') + 1)) as { id: string; status: string; bundle: string });
    expect(states.map((s) => [s.id, s.status, s.bundle])).toEqual([
      [id, 'creating', dir],
      [id, 'created', dir],
      [id, 'running', dir],
      [id, 'stopped', dir],
    ]);

    const failing = bundle({ args: ['true'] }, (config) => {
      config.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo no network for you >&2; exit 4'] }], poststop: [hook('never')] };
    });
    const failed = create(['--bundle', failing, 'hook-fails']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toBe('tssc: createRuntime hook #0 (/bin/sh): exit status 4: no network for you\n');
    expect(cli(['state', 'hook-fails']).stderr).toBe('tssc: container hook-fails does not exist\n');
    const slow = bundle({ args: ['true'] }, (config) => {
      config.hooks = { prestart: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] };
    });
    expect(create(['--bundle', slow, 'hook-slow']).stderr).toBe('tssc: prestart hook #0 (/bin/sleep): timed out after 1s\n');
  });
});

describe.skipIf(!hasBusybox())('hostile input to the lifecycle commands, as a user sees it', () => {
  beforeAll(() => {
    setUp('tssc-lifecycle-bad-');
  });
  afterAll(cleanUp);

  it('names an unknown id in every command, and lets a forced delete of it succeed', () => {
    for (const args of [['state'], ['start'], ['kill'], ['ps'], ['pause'], ['resume'], ['delete'], ['events', '--stats'], ['exec', '--cwd', '/']]) {
      const result = cli([...args, 'ghost', ...(args[0] === 'exec' ? ['true'] : [])]);
      expect([args[0], result.status, result.stderr]).toEqual([args[0], 1, 'tssc: container ghost does not exist\n']);
    }
    expect(cli(['delete', '--force', 'ghost'])).toMatchObject({ status: 0, stderr: '' });
  });

  it('refuses a duplicate id, a bundle without config.json, a pid-file in a missing directory and a console socket that is no socket', () => {
    const dir = bundle({ args: ['true'] });
    expect(create(['--bundle', dir, 'dup']).status).toBe(0);
    expect(create(['--bundle', dir, 'dup']).stderr).toBe('tssc: container with id dup already exists\n');
    expect(cli(['delete', 'dup']).status).toBe(0);

    const empty = scratchDir('tssc-no-config-');
    try {
      expect(create(['--bundle', empty, 'c1']).stderr).toBe(`tssc: invalid bundle ${empty}:\n  config.json: not found at ${empty}/config.json\n`);
    } finally {
      removeDir(empty);
    }
    const missing = path.join(scratch, 'no', 'such', 'dir', 'pid');
    expect(create(['--bundle', dir, '--pid-file', missing, 'c2']).stderr).toBe(
      `tssc: cannot write pid file ${missing}: directory ${path.dirname(missing)} does not exist\n`,
    );
    const terminal = bundle({ args: ['true'] }, (config) => {
      (config.process as { terminal: boolean }).terminal = true;
    });
    const notSocket = path.join(terminal, 'config.json');
    expect(create(['--bundle', terminal, '--console-socket', notSocket, 'c3']).stderr).toBe(`tssc: console socket ${notSocket} is not a unix socket\n`);
    expect(create(['--bundle', terminal, 'c4']).stderr).toBe(
      'tssc: process.terminal is true but no --console-socket was given: a detached container needs one for its terminal\n',
    );
    expect(cli(['kill', 'c1', 'SIGBOGUS']).stderr).toBe('tssc: invalid signal: SIGBOGUS\n');
    // None of the refused creates left a record behind.
    expect(stateFiles()).toEqual([]);
  });

  it('logs every failure as a JSON line in --log, usage errors included, and creates the file', () => {
    const log = path.join(scratch, 'log.json');
    const usage = runCli(['--root', root, '--log', log, '--log-format', 'json', 'frobnicate', 'x']);
    expect(usage.status).toBe(1);
    expect(usage.stderr).toMatch(/^tssc: unknown command 'frobnicate'/);
    const missingArg = runCli(['--root', root, '--log', log, '--log-format=json', 'start']);
    expect(missingArg.status).toBe(1);
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string; time: string });
    expect(entries.map((e) => [e.level, e.msg])).toEqual([
      ['error', "unknown command 'frobnicate'"],
      ['error', "missing required argument 'container-id'"],
    ]);
    expect(entries[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    const quiet = path.join(scratch, 'quiet.json');
    expect(runCli(['--root', root, '--log', quiet, '--log-format', 'json', 'list', '-q']).status).toBe(0);
    expect(existsSync(quiet)).toBe(true);
  });

  it('prints list and features as runc does, and keeps runc\'s list of a shared root clean', () => {
    const dir = bundle({ args: ['true'] });
    expect(create(['--bundle', dir, 'listed']).status).toBe(0);
    const listed = JSON.parse(cli(['list', '--format', 'json']).stdout) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ id: 'listed', status: 'created', bundle: dir, pid: expect.any(Number) })]);
    const runc = spawnSync('runc', ['--root', root, 'list'], { encoding: 'utf8' });
    if (runc.error === undefined) expect(runc).toMatchObject({ status: 0, stderr: '' });
    expect(cli(['delete', 'listed']).status).toBe(0);

    const features = JSON.parse(cli(['features']).stdout) as Record<string, unknown> & { linux: Record<string, unknown> };
    expect(Object.keys(features)).toEqual(['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations']);
    expect(features.hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    expect(features.linux.namespaces).toEqual(['ipc', 'mount', 'network', 'pid', 'uts']);
    expect(features.linux.cgroup).toEqual({ v1: false, v2: false, systemd: false, systemdUser: false });
    expect(features.linux.capabilities).toContain('CAP_SYS_ADMIN');
    expect(features.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec', 'bind', 'size=']));
  });
});

describe.skipIf(!hasBusybox() || process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0)('the lifecycle as an unprivileged user', () => {
  beforeAll(() => {
    setUp('tssc-lifecycle-nobody-');
    mkdirSync(root, { mode: 0o700 });
    chownSync(root, 65534, 65534);
  });
  afterAll(cleanUp);

  it('creates, starts, signals and deletes a container as nobody', async () => {
    const copy = worldReadableCopy(path.join(scratch, 'tssc'));
    const asNobody = (args: readonly string[], stdio: StdioOptions = 'pipe') =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(copy, 'bin', 'tssc.js'), '--root', root, ...args], { stdio, encoding: 'utf8', timeout: 60_000 });
    const dir = bundle({ args: ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; id -u; sleep 1000 & wait $!'], uid: 1000, gid: 1000 });
    const out = path.join(scratch, 'nobody.out');
    const fd = openSync(out, 'w');
    try {
      expect(asNobody(['create', '--bundle', dir, 'mine'], ['ignore', fd, fd]).status).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(JSON.parse(asNobody(['state', 'mine']).stdout)).toMatchObject({ status: 'created', owner: 'nobody' });
    expect(asNobody(['start', 'mine']).status).toBe(0);
    for (let i = 0; i < 100 && !readFileSync(out, 'utf8').includes('1000'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(asNobody(['pause', 'mine']).status).toBe(0);
    expect(JSON.parse(asNobody(['state', 'mine']).stdout)).toMatchObject({ status: 'paused' });
    expect(asNobody(['resume', 'mine']).status).toBe(0);
    expect(asNobody(['kill', 'mine', 'TERM']).status).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(asNobody(['state', 'mine']).stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(out, 'utf8')).toBe('1000\ngot TERM\n');
    expect(asNobody(['delete', 'mine']).status).toBe(0);
    expect(stateFiles()).toEqual([]);
  });
});
