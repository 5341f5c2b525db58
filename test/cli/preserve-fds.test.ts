// --preserve-fds N on run, create and exec, as runc has it: tssc's fds 3 .. 3+N-1 are the
// process's fds of the same numbers. A real pipe (the shell's) and a real file opened by
// the caller, read and written through them by busybox, as root and as nobody (who could
// not open the file by its path); the workload gets only the descriptions: their access
// mode holds, no fd past N, and no chmod, chown or truncate reaches the host file.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, worldReadableCopy } from '../e2e/busybox-bundle.js';
import { hasPython, LifecycleFixture, until } from './lifecycle-fixture.js';
import { TSSC } from './run-cli.js';

const fixture = new LifecycleFixture();
const SLOW_MS = 240_000;
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

/** What the process does with its fds 3 (a pipe) and 4 (a file), and what it may not. */
const SCRIPT = [
  'cat <&3',
  'echo "written by $(id -u)" >&4',
  '[ -e /proc/self/fd/5 ] || echo "no fd 5"',
  'chmod 777 /proc/self/fd/4 2>/dev/null || echo "chmod refused"',
  'chown 5:5 /proc/self/fd/4 2>/dev/null || echo "chown refused"',
  'truncate -s 0 /proc/self/fd/4 2>/dev/null || echo "truncate refused"',
  'echo nope >&3 2>/dev/null || echo "fd 3 is read-only"',
].join('; ');

const EXPECTED = 'through a pipe\nno fd 5\nchmod refused\nchown refused\ntruncate refused\nfd 3 is read-only\n';

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * tssc ARGS run by bash with a pipe as fd 3 (fed "through a pipe") and FILE opened for
 * appending as fd 4, as bash, and then (with asNobody) tssc as nobody. A `create`'s
 * output goes to a file: its sentry keeps it (the container's stdio) until it ends.
 */
function withFds(tsscArgs: readonly string[], file: string, tssc = TSSC, asNobody = false) {
  const user = asNobody ? 'setpriv --reuid=65534 --regid=65534 --clear-groups ' : '';
  const detached = tsscArgs[0] === 'create' ? `>${quote(`${file}.out`)} 2>&1` : '';
  const command = `printf 'through a pipe\\n' | ${user}${quote(process.execPath)} ${quote(tssc)} --root ${quote(fixture.root)} ${tsscArgs.map(quote).join(' ')} 3<&0 4>>${quote(file)} </dev/null ${detached}`;
  const result = spawnSync('bash', ['-c', command], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ...(detached && { output: () => readFileSync(`${file}.out`, 'utf8') }) };
}

/** A file of the caller's that only root may open. */
function privateFile(name: string): string {
  const file = path.join(fixture.scratch, name);
  writeFileSync(file, 'first line\n');
  chmodSync(file, 0o600);
  return file;
}

describe.skipIf(!hasBusybox() || !hasPython)('--preserve-fds', () => {
  beforeAll(() => fixture.setUp('tssc-preserve-'));
  afterAll(() => fixture.cleanUp());

  it('passes fds 3 and 4 to a run\'s process, a created one\'s and an exec\'d one\'s', async () => {
    const dir = fixture.bundle({ args: ['sh', '-c', SCRIPT] });
    const ran = privateFile('run.txt');
    expect(withFds(['run', '--preserve-fds', '2', '--bundle', dir, fixture.newId()], ran)).toEqual({ status: 0, stdout: EXPECTED, stderr: '' });
    expect(readFileSync(ran, 'utf8')).toBe('first line\nwritten by 0\n');
    expect(statSync(ran).mode & 0o7777).toBe(0o600);

    // create: the detached sentry holds them for the init until start.
    const created = privateFile('create.txt');
    const id = fixture.newId();
    const made = withFds(['create', '--preserve-fds', '2', '--bundle', dir, id], created);
    expect(made).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(fixture.cli(['start', id]).status).toBe(0);
    await until(() => made.output!() === EXPECTED);
    expect(readFileSync(created, 'utf8')).toBe('first line\nwritten by 0\n');

    const sleeper = fixture.bundle({ args: ['sleep', '1000'] });
    const running = fixture.newId();
    expect(fixture.create(['--bundle', sleeper, running]).status).toBe(0);
    expect(fixture.cli(['start', running]).status).toBe(0);
    const execd = privateFile('exec.txt');
    expect(withFds(['exec', '--preserve-fds', '2', running, 'sh', '-c', SCRIPT], execd)).toEqual({ status: 0, stdout: EXPECTED, stderr: '' });
    expect(readFileSync(execd, 'utf8')).toBe('first line\nwritten by 0\n');
    // A directory given by fd is no way into the host's tree.
    const escape = spawnSync('bash', ['-c', `${process.execPath} ${TSSC} --root ${fixture.root} exec --preserve-fds 1 ${running} sh -c 'cat /proc/self/fd/3/passwd; cd /proc/self/fd/3; ls; ls /proc/self/fd/3/' 3</etc`], { encoding: 'utf8', timeout: 60_000 });
    expect([escape.status, escape.stdout, escape.stderr]).toEqual([0, '', "cat: can't open '/proc/self/fd/3/passwd': Not a directory\n"]);
    expect(fixture.cli(['kill', running, 'KILL']).status).toBe(0);
  }, SLOW_MS);

  it('refuses a count that is not a number, and an fd that is not open, naming it', () => {
    const dir = fixture.bundle({ args: ['true'] });
    expect(fixture.cli(['run', '--preserve-fds', 'x', '--bundle', dir, fixture.newId()]).stderr).toBe('tssc: --preserve-fds x: expected a number of fds from 0 to 250\n');
    expect(fixture.cli(['run', '--preserve-fds', '251', '--bundle', dir, fixture.newId()]).stderr).toBe('tssc: --preserve-fds 251: expected a number of fds from 0 to 250\n');
    const missing = spawnSync('bash', ['-c', `exec 3<&- 4<&-; exec ${process.execPath} ${TSSC} --root ${fixture.root} run --preserve-fds 1 --bundle ${dir} ${fixture.newId()}`], { encoding: 'utf8' });
    expect([missing.status, missing.stderr]).toEqual([1, 'tssc: --preserve-fds 1: fd 3 is not open\n']);
  });
});

describe.skipIf(!hasBusybox() || !isRoot || !hasSetpriv)('--preserve-fds as an unprivileged user', () => {
  beforeAll(() => {
    fixture.setUp('tssc-preserve-nobody-');
    mkdirSync(fixture.root, { mode: 0o700 });
    chownSync(fixture.root, 65534, 65534);
  });
  afterAll(() => fixture.cleanUp());

  it('gives nobody\'s run and exec the fds its caller opened, and nothing more', () => {
    const copy = worldReadableCopy(path.join(fixture.scratch, 'tssc'));
    const tssc = path.join(copy, 'bin', 'tssc.js');
    const dir = fixture.bundle({ args: ['sh', '-c', SCRIPT], uid: 1000, gid: 1000 });
    const ran = privateFile('run.txt');
    expect(withFds(['run', '--preserve-fds', '2', '--bundle', dir, 'mine'], ran, tssc, true)).toEqual({ status: 0, stdout: EXPECTED, stderr: '' });
    expect(readFileSync(ran, 'utf8')).toBe('first line\nwritten by 1000\n');
    expect(statSync(ran).uid).toBe(0);
    expect(statSync(ran).mode & 0o7777).toBe(0o600);

    const asNobody = (args: readonly string[]) =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, tssc, '--root', fixture.root, ...args], { stdio: 'ignore', timeout: 60_000 }).status;
    const sleeper = fixture.bundle({ args: ['sleep', '1000'], uid: 1000, gid: 1000 });
    expect(asNobody(['create', '--bundle', sleeper, 'sleeper'])).toBe(0);
    expect(asNobody(['start', 'sleeper'])).toBe(0);
    const execd = privateFile('exec.txt');
    expect(withFds(['exec', '--preserve-fds', '2', 'sleeper', 'sh', '-c', SCRIPT], execd, tssc, true)).toEqual({ status: 0, stdout: EXPECTED, stderr: '' });
    expect(readFileSync(execd, 'utf8')).toBe('first line\nwritten by 1000\n');
    expect(asNobody(['delete', '--force', 'sleeper'])).toBe(0);
  }, SLOW_MS);
});
