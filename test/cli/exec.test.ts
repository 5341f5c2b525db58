// `tssc exec` into a running container, through the built CLI as a user and as
// containerd's shim drive it: the process's own args, env, cwd and user; the init's
// files and pid namespace (pid 1 is the init, its own parent is outside: 0); its exit
// status (128 + signal); stdin piped through; signals to tssc passed on; --detach with a
// pid-file process a subreaper sees end; a terminal over a console socket; refusals with
// runc's words; and requests a hostile client sends straight to the control socket.
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, hasBusybox, worldReadableCopy } from '../e2e/busybox-bundle.js';
import { CONSOLE_RECEIVER, hasPython, INTERRUPTED_JOBS, JsonLines, LifecycleFixture, TYPIST_PROMPT as PROMPT, typist, until } from './lifecycle-fixture.js';
import { runCli, TSSC, type CliResult } from './run-cli.js';

const fixture = new LifecycleFixture();

/** Each of these runs tssc a dozen times or more: minutes on a loaded machine. */
const SLOW_MS = 240_000;

function cli(args: readonly string[], input?: string): CliResult {
  return runCli(['--root', fixture.root, ...args], { timeout: 60_000, ...(input !== undefined && { input }) });
}

/** A started container whose init writes /tmp/from-init and then sleeps (its only process). */
async function running() {
  const dir = fixture.bundle({ args: ['sh', '-c', 'echo hello > /tmp/from-init; exec sleep 1000'] });
  const id = fixture.newId();
  const watched = fixture.createUnderSubreaper(dir, id);
  await watched.reports.next('pid');
  expect(fixture.cli(['start', id]).status).toBe(0);
  return { id, dir, ...watched };
}

/** The host pids of the container's processes. */
function psOf(id: string): number[] {
  return JSON.parse(fixture.cli(['ps', '--format', 'json', id]).stdout) as number[];
}

/** A `tssc exec` in the background, its output collected. */
function execInBackground(args: readonly string[]) {
  const child = spawn(process.execPath, [TSSC, '--root', fixture.root, 'exec', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  fixture.started.push(child);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => stdout, ended };
}

/** The ppid in /proc/PID/stat (after the command, which may hold spaces). */
function parentOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * The host pids of the running terminal relays (tssc-tty-relay) of container id: orphaned
 * at birth, they are children of its sentry's subreaper, as the sentry is.
 */
function relaysOf(id: string): number[] {
  const subreaper = parentOf(Number(fixture.state(id).pid));
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(tssc-tty-relay) S') && parentOf(pid) === subreaper;
      } catch {
        return false;
      }
    });
}

describe.skipIf(!hasBusybox() || !hasPython)('tssc exec', () => {
  beforeAll(() => fixture.setUp('tssc-exec-'));
  afterAll(() => fixture.cleanUp());

  it('runs a process with its own args, env, cwd and user, and exits with its status', async () => {
    const { id } = await running();
    const result = cli(['exec', '--cwd', '/data', '-e', 'FOO=bar baz', '-u', '1000:1000', '--additional-gids', '50', id, 'sh', '-c', 'echo "$FOO"; pwd; id -u; id -G; echo $HOME; exit 3']);
    expect(result).toEqual({ status: 3, stdout: 'bar baz\n/data\n1000\n1000 50\n/home/app\n', stderr: '' });
    // The container's own process is the base: its PATH, its user.
    expect(cli(['exec', id, 'sh', '-c', 'echo $PATH; id -u'])).toEqual({ status: 0, stdout: '/bin\n0\n', stderr: '' });
    expect(cli(['exec', id, 'tr', 'a-z', 'A-Z'], 'piped through\n')).toEqual({ status: 0, stdout: 'PIPED THROUGH\n', stderr: '' });
    expect(cli(['exec', id, 'sh', '-c', 'kill -9 $$']).status).toBe(137);
    expect(cli(['exec', id, 'sh', '-c', 'kill -USR1 $$']).status).toBe(138);
    // A process file's own capabilities, noNewPrivileges and rlimits, not the container's.
    const own = {
      args: ['sh', '-c', 'echo $X from $(pwd); grep -E "CapEff|NoNewPrivs" /proc/self/status; ulimit -n'],
      env: ['X=file'],
      cwd: '/tmp',
      user: { uid: 0, gid: 0 },
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
      noNewPrivileges: true,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 77, soft: 77 }],
    };
    writeFileSync(path.join(fixture.scratch, 'process.json'), JSON.stringify(own));
    expect(cli(['exec', '--process', path.join(fixture.scratch, 'process.json'), id])).toEqual({
      status: 0,
      stdout: 'file from /tmp\nCapEff:\t0000000000000020\nNoNewPrivs:\t1\n77\n',
      stderr: '',
    });
    expect(cli(['exec', id, 'sh', '-c', 'grep NoNewPrivs /proc/self/status; ulimit -n']).stdout).toBe('NoNewPrivs:\t0\n1024\n');
  }, SLOW_MS);

  it('sees the init\'s files and pid namespace: pid 1 is the init, its own parent is outside', async () => {
    const { id, reports, output } = await running();
    const seen = cli(['exec', id, 'sh', '-c', 'cat /tmp/from-init; echo ppid=$PPID pid=$$; cat /proc/1/cmdline | tr "\\0" " "; echo; ls /proc | grep -c "^[0-9]"; echo written > /tmp/from-exec']);
    expect(seen.stderr).toBe('');
    const [file, ids, cmdline, count] = seen.stdout.split('\n');
    expect(file).toBe('hello');
    expect(Number(/^ppid=0 pid=(\d+)$/.exec(ids!)?.[1])).toBeGreaterThan(1);
    expect(cmdline).toBe('sleep 1000 ');
    // The init, the exec'd shell and its pipeline: no host process.
    expect(Number(count)).toBeLessThanOrEqual(5);
    expect(cli(['exec', id, 'cat', '/tmp/from-exec']).stdout).toBe('written\n');

    // ps and kill --all reach exec'd processes too; its end does not end the container.
    expect(psOf(id)).toHaveLength(1);
    const sleeper = execInBackground([id, 'sleep', '1000']);
    await until(() => psOf(id).length === 2);
    sleeper.child.kill('SIGTERM');
    expect(await sleeper.ended).toBe(143);
    expect(fixture.state(id).status).toBe('running');
    expect(psOf(id)).toHaveLength(1);
    const again = execInBackground([id, 'sleep', '1000']);
    await until(() => psOf(id).length === 2);
    expect(fixture.cli(['kill', '--all', id, 'KILL']).status).toBe(0);
    expect(await again.ended).toBe(137);
    expect(await reports.next('exited')).toEqual({ exited: 137 });
    expect(output()).toBe('');
  }, SLOW_MS);

  it('passes the signals tssc gets to the process; the init\'s end kills it, as under runc', async () => {
    const { id, reports, output } = await running();
    const trapped = execInBackground([id, 'sh', '-c', 'trap "echo got TERM; exit 4" TERM; echo ready; while :; do sleep 0.1; done']);
    await until(() => trapped.output() === 'ready\n');
    trapped.child.kill('SIGTERM');
    expect(await trapped.ended).toBe(4);
    expect(trapped.output()).toBe('ready\ngot TERM\n');

    const left = execInBackground([id, 'sleep', '1000']);
    await until(() => psOf(id).length === 2);
    expect(fixture.cli(['kill', id, 'KILL']).status).toBe(0);
    expect(await reports.next('exited')).toEqual({ exited: 137 });
    expect(await left.ended).toBe(137);
    expect(output()).toBe('');
    expect(cli(['exec', id, 'true']).stderr).toBe('tssc: cannot exec in a stopped container\n');
  }, SLOW_MS);

  it('with --detach, the pid-file names a process that exits with the exec\'d one and passes signals on', async () => {
    const { id } = await running();
    const quick = fixture.underSubreaper('quick', (pidFile) => ['exec', '--detach', '--pid-file', pidFile, id, 'sh', '-c', 'echo detached; exit 5']);
    expect(await quick.reports.next('pid')).toMatchObject({ pidfile: expect.stringMatching(/^\d+$/) });
    expect(await quick.reports.next('exited')).toEqual({ exited: 5 });
    expect(await quick.reports.next('done')).toMatchObject({ others: [] });
    expect(quick.output()).toBe('detached\n');

    const trapped = fixture.underSubreaper('trapped', (pidFile) => ['exec', '-d', '--pid-file', pidFile, id, 'sh', '-c', 'trap "echo got TERM; exit 6" TERM; echo up; while :; do sleep 0.1; done']);
    const { pid } = (await trapped.reports.next('pid')) as { pid: number };
    await until(() => trapped.output() === 'up\n');
    process.kill(pid, 'SIGTERM');
    expect(await trapped.reports.next('exited')).toEqual({ exited: 6 });
    expect(trapped.output()).toBe('up\ngot TERM\n');
  }, SLOW_MS);

  it('gives a --tty process a pty whose master goes to the console socket', async () => {
    const { id } = await running();
    const socketPath = path.join(fixture.scratch, `${id}-console.sock`);
    const receiver = spawn('python3', [CONSOLE_RECEIVER, socketPath, '21', '73', '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    fixture.started.push(receiver);
    const reports = new JsonLines(receiver.stdout);
    await reports.next('listening');
    // The process runs as soon as the master is sent, as under runc: it waits (5 s at most)
    // for the window size the receiver sets once it has the master (before it, busybox's
    // stty size fails on a 0x0 terminal).
    const sized = '[ "$(stty size 2>/dev/null)" != "" ] && [ "$(stty size)" != "0 0" ]';
    const script = `i=0; until ${sized} || [ $i -ge 100 ]; do i=$((i+1)); sleep 0.05; done; stty size; [ -t 0 ] && [ -t 1 ] && echo terminal; tty`;
    const result = cli(['exec', '--tty', '--console-socket', socketPath, id, 'sh', '-c', script]);
    expect(result).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(await reports.next('payload')).toEqual({ payload: expect.stringMatching(/^\/dev\/pts\/\d+$/), fds: 1, isatty: true });
    expect((await reports.next('output')).output).toMatch(/^21 73\r\nterminal\r\n\/dev\/pts\/\d+\r\n$/);
    expect(cli(['exec', '--console-socket', socketPath, id, 'true']).stderr).toBe('tssc: cannot use a console socket: the process has no terminal (--tty)\n');
    expect(cli(['exec', '-d', '-t', id, 'true']).stderr).toBe('tssc: a detached exec with a terminal needs --console-socket for it\n');
  }, SLOW_MS);

  it('gives a --tty process without a console socket a pty of its own when stdin is no terminal, as runc does', async () => {
    const { id } = await running();
    const result = cli(['exec', '-t', id, 'sh', '-c', 'tty; [ -t 0 ] && [ -t 2 ] && echo all-tty; read line; echo "got $line"; exit 4'], 'hi\n');
    expect(result).toMatchObject({ status: 4, stderr: '' });
    // The pty echoes the line when it arrives, which may be before or after the first lines.
    expect(result.stdout.replace('hi\r\n', '')).toMatch(/^\/dev\/pts\/\d+\r\nall-tty\r\ngot hi\r\n$/);
  }, SLOW_MS);

  it('sends ^C, ^Z and ^\\ typed in cooked mode to the foreground job of its terminal, as Linux does', async () => {
    const { id } = await running();
    // The same keys at busybox's shell on the host: what the terminal shows must be the same.
    const native = await typist(INTERRUPTED_JOBS, ['env', `PS1=${PROMPT}`, BUSYBOX, 'sh', '-i']).report();
    expect(native).toMatchObject({ failed: null, status: 3 });
    expect(native.output).toMatch(/status=130[^]*Stopped[^]*again4[^]*status=131/);
    const shell = ['-t', '-e', `PS1=${PROMPT}`, id, 'sh'];

    // On tssc's own terminal, as a person types into `tssc exec -t`.
    const own = await typist(INTERRUPTED_JOBS, [process.execPath, TSSC, '--root', fixture.root, 'exec', ...shell]).report();
    expect(own).toEqual({ ...native, status: 3 });

    // On a new pty whose master goes to a console socket, as containerd's shim and conmon type into it.
    const socketPath = path.join(fixture.scratch, `${id}-typed.sock`);
    const person = typist(INTERRUPTED_JOBS, ['--console', socketPath]);
    fixture.started.push(person.child);
    await person.listening();
    expect(cli(['exec', '--console-socket', socketPath, ...shell])).toEqual({ status: 3, stdout: '', stderr: '' });
    expect(await person.report()).toEqual({ ...native, status: null });
    // Only what the kernel raises is relayed: a kill(2) of the relay is no keystroke.
    const goAhead = path.join(fixture.scratch, `${id}-go`);
    const killed = typist(
      [['wait', PROMPT], ['type', "sh -c 'echo up$((1+1)); exec sleep 100'\r"], ['wait', 'up2'], ['file', goAhead], ['type', '\u0003'], ['wait', PROMPT], ['type', 'exit 5\r']],
      ['--console', `${socketPath}-1`],
    );
    fixture.started.push(killed.child);
    await killed.listening();
    const killedExec = execInBackground(['--console-socket', `${socketPath}-1`, ...shell]);
    await until(() => relaysOf(id).length === 1 && psOf(id).length === 3);
    process.kill(relaysOf(id)[0]!, 'SIGINT');
    await new Promise((r) => setTimeout(r, 1000));
    expect(psOf(id)).toHaveLength(3);
    writeFileSync(goAhead, '');
    expect(await killedExec.ended).toBe(5);
    expect((await killed.report()).failed).toBe(null);
    // The shim closing the master hangs the terminal up: the shell gets SIGHUP.
    const leaving = typist([['wait', PROMPT], ['hangup', 0]], ['--console', `${socketPath}-2`]);
    fixture.started.push(leaving.child);
    await leaving.listening();
    expect(cli(['exec', '--console-socket', `${socketPath}-2`, ...shell])).toEqual({ status: 129, stdout: '', stderr: '' });
    // Its relay went with the process; nothing but the init is left.
    await until(() => relaysOf(id).length === 0);
    expect(psOf(id)).toHaveLength(1);
  }, SLOW_MS);

  it('refuses a created, paused or stopped container, and one at its pids limit, with runc\'s words', async () => {
    const dir = fixture.bundle({ args: ['sleep', '1000'] });
    const id = fixture.newId();
    expect(fixture.create(['--bundle', dir, id]).status).toBe(0);
    expect(cli(['exec', id, 'true']).stderr).toBe('tssc: cannot exec in a created container: start it first\n');
    expect(fixture.cli(['start', id]).status).toBe(0);
    expect(fixture.cli(['pause', id]).status).toBe(0);
    expect(cli(['exec', id, 'true']).stderr).toBe('tssc: cannot exec in a paused container\n');
    expect(fixture.cli(['resume', id]).status).toBe(0);
    // As a fork beyond the pids limit.
    expect(fixture.cli(['update', '--pids-limit', '1', id]).status).toBe(0);
    expect(cli(['exec', id, 'true']).stderr).toBe('tssc: EAGAIN: Try again (the sandbox is at its pids limit)\n');
    expect(fixture.cli(['delete', '--force', id]).status).toBe(0);
    expect(cli(['exec', id, 'true']).stderr).toBe(`tssc: container ${id} does not exist\n`);
  }, SLOW_MS);

  it('refuses a missing program, a bad cwd and a bogus process file, naming what is wrong', async () => {
    const { id } = await running();
    expect(cli(['exec', id, 'nosuch'])).toEqual({ status: 1, stdout: '', stderr: 'tssc: nosuch: executable file not found in $PATH\n' });
    expect(cli(['exec', '--cwd', '/nope', id, 'true']).stderr).toBe('tssc: ENOENT: No such file or directory (cwd /nope)\n');
    expect(cli(['exec', '--cwd', '/bin/sh', id, 'true']).stderr).toBe('tssc: ENOTDIR: Not a directory (cwd /bin/sh)\n');
    expect(cli(['exec', '--cwd', 'tmp', id, 'true']).stderr).toBe('tssc: --cwd tmp: must be an absolute path\n');
    const bogus = path.join(fixture.scratch, 'bogus.json');
    writeFileSync(bogus, JSON.stringify({ args: ['true', 7], cwd: 'rel', user: { uid: -1, gid: 0 } }));
    expect(cli(['exec', '--process', bogus, id]).stderr).toBe(
      `tssc: process file ${bogus}: /user/uid: must be >= 0, got -1; process file ${bogus}: /args/1: must be a string, got 7; process file ${bogus}: /cwd: must be an absolute path, got "rel"\n`,
    );
    expect(cli(['exec', id, 'true']).status).toBe(0);
  }, SLOW_MS);

  it('answers a hostile client on the control socket with the offending field, leaks none of its fds and goes on', async () => {
    const { id } = await running();
    const sentry = Number(fixture.state(id).pid);
    const fdCount = (): number => readdirSync(`/proc/${sentry}/fd`).length;
    const socketPath = path.join(fixture.root, `${id}.tssc-sock`);
    // A client speaking the protocol itself, sending its stdio with each request.
    const send = (request: unknown, fds = 3): string => {
      const script = [
        'import json, os, socket, sys',
        's = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])',
        `socket.send_fds(s, [sys.argv[2].encode() + b"\\n"], [0, 1, 2][:${fds}])`,
        'print(s.makefile().readline().strip())',
      ].join('\n');
      const result = spawnSync('python3', ['-c', script, socketPath, JSON.stringify(request)], { encoding: 'utf8', input: '', timeout: 30_000 });
      return result.stdout.trim();
    };
    const before = fdCount();
    const base = { args: ['sh', '-c', 'pwd; head -1 /etc/passwd'], cwd: '/', user: { uid: 0, gid: 0 } };
    expect(JSON.parse(send({ op: 'exec', detach: false, process: { ...base, cwd: 'relative', user: { uid: -5, gid: 0.5 } } }))).toEqual({
      ok: false,
      error: 'exec process: /user/uid: must be >= 0, got -5; exec process: /user/gid: must be an integer, got 0.5; exec process: /cwd: must be an absolute path, got "relative"',
    });
    expect(JSON.parse(send({ op: 'exec', detach: false, process: 'bogus' }))).toEqual({ ok: false, error: 'exec process: must be an object, got "bogus"' });
    expect(JSON.parse(send({ op: 'exec', detach: false, process: { ...base, args: [] } }))).toEqual({
      ok: false,
      error: 'exec process: /args: must not be empty: it names the program to run',
    });
    expect(JSON.parse(send({ op: 'exec', detach: false, process: base }, 1))).toEqual({
      ok: false,
      error: 'exec: the request must carry stdin, stdout and stderr (3 fds), got 1',
    });
    expect(JSON.parse(send({ op: 'exec', detach: false, process: base, preserveFds: -1 }))).toEqual({
      ok: false,
      error: 'exec: /preserveFds must be an integer from 0 to 250, got -1',
    });
    expect(JSON.parse(send({ op: 'exec', detach: false, process: base, preserveFds: 2 }))).toEqual({
      ok: false,
      error: 'exec: the request must carry stdin, stdout, stderr and 2 preserved fds (5 fds), got 3',
    });
    expect(JSON.parse(send({ op: 'exec', detach: false, process: { ...base, terminal: true }, consoleSocket: path.join(fixture.scratch, 'none.sock') }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^cannot send the terminal to console socket .*none\.sock: ENOENT/),
    });
    // `..` stops at the sandbox's root: the cwd is the sandbox's /etc, its passwd the sandbox's.
    const escaped = cli(['exec', '--cwd', '/../../../../etc', id, 'sh', '-c', 'pwd; head -1 passwd']);
    expect(escaped).toEqual({ status: 0, stdout: '/etc\nroot:x:0:0:root:/root:/bin/sh\n', stderr: '' });
    await until(() => fdCount() === before);
    expect(fixture.state(id).status).toBe('running');
  }, SLOW_MS);
});

describe.skipIf(!hasBusybox() || process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0)('tssc exec as an unprivileged user', () => {
  beforeAll(() => {
    fixture.setUp('tssc-exec-nobody-');
    mkdirSync(fixture.root, { mode: 0o700 });
    chownSync(fixture.root, 65534, 65534);
  });
  afterAll(() => fixture.cleanUp());

  it('execs into a container that nobody created, with the exit status and output', () => {
    const copy = worldReadableCopy(path.join(fixture.scratch, 'tssc'));
    const asNobody = (args: readonly string[], stdio: StdioOptions = 'pipe') =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(copy, 'bin', 'tssc.js'), '--root', fixture.root, ...args], {
        stdio,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const dir = fixture.bundle({ args: ['sleep', '1000'], uid: 1000, gid: 1000 });
    expect(asNobody(['create', '--bundle', dir, 'mine'], ['ignore', 'ignore', 'ignore']).status).toBe(0);
    expect(asNobody(['start', 'mine']).status).toBe(0);
    const result = asNobody(['exec', 'mine', 'sh', '-c', 'id -u; echo $PPID; cat /proc/1/comm; exit 9']);
    expect([result.status, result.stdout, result.stderr]).toEqual([9, '1000\n0\nsleep\n', '']);
    expect(asNobody(['kill', 'mine', 'KILL']).status).toBe(0);
    expect(asNobody(['delete', '--force', 'mine']).status).toBe(0);
  }, SLOW_MS);
});
