// The file, directory, fd, pipe and readiness syscalls as a busybox workload uses them
// under `tssc run`, compared with the same commands under chroot on the host.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, chrootRun, hasBusybox, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;
let dir = '';
let rootfs = '';

/** A digest of every name, mode, size and content under root: the host rootfs must not change. */
function treeDigest(root: string): string {
  const hash = createHash('sha256');
  const walk = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    hash.update(`${path.relative(root, p)} ${st?.mode} ${st?.size}\n`);
    if (st?.isDirectory()) for (const name of readdirSync(p).sort()) walk(path.join(p, name));
    else if (st?.isFile()) hash.update(readFileSync(p));
  };
  walk(root);
  return hash.digest('hex');
}

function sandboxed(script: string, input = '') {
  writeConfig(dir, { args: ['sh', '-c', script] });
  return tsscRun(dir, [], { input });
}

/** Runs script in both worlds; the host rootfs is checked unchanged after the sandbox run. */
function both(script: string, input = '') {
  const before = treeDigest(rootfs);
  const inside = sandboxed(script, input);
  expect(treeDigest(rootfs)).toBe(before);
  const outside = isRoot ? chrootRun(rootfs, ['sh', '-c', script]) : undefined;
  return { inside, outside };
}

describe.skipIf(!hasBusybox())('file syscalls end to end', () => {
  beforeAll(() => {
    dir = scratchDir('tssc-e2e-files-');
    rootfs = makeRootfs(dir);
  });
  afterAll(() => removeDir(dir));

  it('creates, appends, truncates, copies, moves, links and removes files like the host', () => {
    const script = [
      'cd /tmp && echo one > f && echo two >> f && cat f',
      'truncate -s 3 f && cat f && echo',
      'cp f g && mv g h && ln h hard && ln -s h soft && readlink soft',
      'stat -c "%n %s %h %F" f h hard soft',
      'mkdir -p a/b/c && touch a/b/c/x && find a | sort',
      'rm -r a && rmdir a 2>&1; rm hard soft h f; ls',
      'ls -ln /data | tail -n +2 | sed "s/  */ /g" | cut -d" " -f1,2,3,4,5,9',
      'chmod 640 /data/fruits.txt && chown 1000:50 /data/fruits.txt && stat -c "%a %u %g" /data/fruits.txt',
      'sort /data/fruits.txt | uniq -c | sort -rn | head -2; wc -l < /data/numbers.txt',
    ].join('\n');
    const { inside, outside } = both(script);
    expect(inside.stderr).toBe('');
    expect(inside.status).toBe(0);
    expect(inside.stdout).toContain('one\ntwo\none\nsoft\n'.replace('soft\n', 'h\n'));
    if (outside) {
      // The chroot run changed the host files; only its output is compared.
      expect(inside.stdout).toBe(outside.stdout);
    }
  });

  it('pipes: large transfers, SIGPIPE for a writer whose reader left, EOF for readers', () => {
    const script = [
      'seq 1 50000 | sort -rn | head -3',
      'yes | head -c 200000 | wc -c',
      '(yes; echo "yes exited $?" >&2) 2>&1 | head -1',
      'sleep 0.2 | (cat; echo "cat saw EOF")',
      'echo abc | gzip | gunzip',
    ].join('\n');
    const { inside, outside } = both(script);
    expect(inside.stdout).toBe('50000\n49999\n49998\n200000\ny\ncat saw EOF\nabc\n');
    expect(inside.stderr).toBe('');
    if (outside) expect(inside.stdout).toBe(outside.stdout);
  });

  it('redirections and fd juggling: 2>&1 ordering, exec fds, closed stdout', () => {
    const script = [
      '(echo out; echo err >&2; echo out2) 2>&1 | cat',
      'exec 3>/tmp/fd3; echo via3 >&3; exec 3>&-; cat /tmp/fd3',
      'exec 4</data/fruits.txt; read first <&4; read second <&4; echo "$first $second"',
      '(echo gone >&-) 2>/dev/null || echo "write to closed fd failed"',
    ].join('\n');
    const { inside, outside } = both(script);
    expect(inside.stdout).toBe('out\nerr\nout2\nvia3\npear apple\nwrite to closed fd failed\n');
    if (outside) expect(inside.stdout).toBe(outside.stdout);
  });

  it("stdin comes from tssc's own stdin and is not read past what the workload reads", () => {
    const result = sandboxed('read a; echo "first: $a"; cat | wc -l', 'line1\nline2\nline3\n');
    expect(result.stdout).toBe('first: line1\n2\n');
    expect(result.status).toBe(0);
  });

  it('readiness: read -t times out on a silent pipe and wakes on data', () => {
    const script = [
      // The writer stays until the reader has timed out, however slow the machine is.
      '{ sleep 30 & echo $! > /tmp/writer; wait; } | (read -t 0.1 x; echo "timeout rc=$?"; kill $(cat /tmp/writer))',
      '(sleep 0.1; echo late) | (read -t 30 x; echo "got $x")',
    ].join('\n');
    const { inside, outside } = both(script);
    expect(inside.stdout).toMatch(/^timeout rc=\d+\ngot late\n$/);
    if (outside) expect(inside.stdout).toBe(outside.stdout);
  });

  it('positional I/O and seeks: dd with skip, seek and conv=notrunc', () => {
    const script = [
      'dd if=/data/numbers.txt bs=1 skip=5 count=10 2>/dev/null | od -c | head -2',
      'cp /data/fruits.txt /tmp/f && echo XX | dd of=/tmp/f bs=1 seek=2 conv=notrunc 2>/dev/null && cat /tmp/f',
      'tail -c 12 /data/sub/notes.md',
    ].join('\n');
    const { inside, outside } = both(script);
    expect(inside.stdout).toContain('peXX\napple');
    if (outside) expect(inside.stdout).toBe(outside.stdout);
  });

  it('errors come back as the host gives them', () => {
    const script = [
      'cat /nope 2>&1',
      'mkdir /data 2>&1',
      'rmdir /data 2>&1',
      'cd /data/fruits.txt 2>&1',
      'ln -s x /data/sub 2>&1; true',
      'echo > /data/sub 2>&1',
    ].join('\n');
    const { inside, outside } = both(script);
    expect(inside.stdout).toContain("cat: can't open '/nope': No such file or directory");
    if (outside) expect(inside.stdout).toBe(outside.stdout);
  });
});

describe.skipIf(!hasBusybox() || spawnSync('script', ['--version']).status !== 0)('a host terminal as stdio', () => {
  let ttyDir = '';
  beforeAll(() => {
    ttyDir = scratchDir('tssc-e2e-tty-');
    makeRootfs(ttyDir);
  });
  afterAll(() => removeDir(ttyDir));

  it('is a tty to the workload; canonical mode and window size go through termios ioctls', () => {
    const script = 'test -t 0 && echo stdin-is-tty; test -t 1 && echo stdout-is-tty; stty -icanon; stty -a | grep -o -- -icanon; stty icanon; stty -a | grep -o -- " icanon"; stty size';
    writeConfig(ttyDir, { args: ['sh', '-c', script] });
    const command = ['node', path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(ttyDir, 'state'), 'run', '--bundle', ttyDir, `tty-${process.pid}`].join(' ');
    // script(1) gives tssc a pseudo-terminal as its stdin, stdout and stderr.
    const result = spawnSync('script', ['-qfec', `stty rows 24 cols 80; ${command}`, '/dev/null'], { encoding: 'utf8', input: '', timeout: 60_000 });
    const lines = result.stdout.replace(/\r/g, '').split('\n');
    expect(lines).toContain('stdin-is-tty');
    expect(lines).toContain('stdout-is-tty');
    expect(lines).toContain('-icanon');
    expect(lines).toContain(' icanon');
    expect(lines).toContain('24 80');
    expect(result.status).toBe(0);
  });
});
