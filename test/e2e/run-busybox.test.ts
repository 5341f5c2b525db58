// `tssc run` of busybox bundles, end to end: outputs and exit codes as a user sees them,
// compared with the same commands under chroot on the host where that is the reference.
import { once } from 'node:events';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync } from 'node:fs';
import { chrootRun, hasBusybox, makeRootfs, removeDir, scratchDir, tsscRun, tsscSpawn, worldReadableCopy, writeConfig, type RunOptions } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** As root, the whole suite runs a second time with tssc as nobody from a world-readable copy. */
const users = isRoot ? [{ as: 'root', uid: undefined }, { as: 'nobody', uid: NOBODY }] : [{ as: 'the caller', uid: undefined }];

/** Every file of a tree with its mode, size and content hash: what "byte-identical" checks. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = statSync(full, { throwIfNoEntry: false }) ?? { mode: 0, size: 0, isDirectory: () => false, isFile: () => false };
      out.push(`${path.relative(root, full)} ${st.mode} ${st.size}`);
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && st.size < 1 << 16) out.push(readFileSync(full).toString('base64'));
    }
  };
  walk(root);
  return out;
}

describe.skipIf(!hasBusybox()).each(users)('tssc run with a busybox rootfs, tssc running as $as', ({ uid }) => {
  let dir: string;
  let rootfs: string;
  let before: string[];
  let runAs: RunOptions = {};

  beforeAll(() => {
    dir = scratchDir('tssc-e2e-');
    rootfs = makeRootfs(dir);
    if (uid !== undefined) {
      mkdirSync(path.join(dir, 'states'));
      chmodSync(path.join(dir, 'states'), 0o1777);
      runAs = { asUser: uid, tsscDir: worldReadableCopy(path.join(dir, 'tssc')), stateDir: path.join(dir, 'states', 'user') };
    }
  });
  afterAll(() => removeDir(dir));

  function tssc(extra: string[] = []) {
    return tsscRun(dir, extra, runAs);
  }

  function run(script: string, options: Partial<Parameters<typeof writeConfig>[1]> = {}, extra: string[] = []) {
    writeConfig(dir, { args: ['sh', '-c', script], ...options });
    return tssc(extra);
  }

  it('goes on when its own stderr goes away, and ends with the workload', async () => {
    writeConfig(dir, { args: ['sh', '-c', 'sleep 0.5; echo done'] });
    const child = tsscSpawn(dir, { ...runAs, runArgs: ['--strace'] });
    child.stderr.destroy();
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'done\n' });
  });

  it('runs echo and exits with its status', () => {
    writeConfig(dir, { args: ['echo', 'hello', 'sandbox'] });
    expect(tssc()).toMatchObject({ status: 0, stdout: 'hello sandbox\n' });
  });

  it('gives the exit code of init; init only gets the signals it handles', () => {
    expect(run('exit 42').status).toBe(42);
    expect(run('kill -TERM $$; echo survived').stdout).toBe('survived\n');
    expect(run('sh -c \'kill -SEGV $$\'; echo "child $?"').stdout).toBe('child 139\n');
  });

  it('runs scripts with pipes, redirections, loops and command substitution', () => {
    const script = [
      'for i in 3 1 2; do echo "n$i"; done | sort | tr "\\n" " "; echo',
      'x=$(echo inner | tr a-z A-Z); echo "sub=$x"',
      'echo to-file > /tmp/f1; echo more >> /tmp/f1; cat < /tmp/f1',
      'echo err 1>&2 2>/dev/null; ls /nonexistent 2>&1 | head -1 | cut -c1-17',
      'i=0; while [ $i -lt 5 ]; do i=$((i+1)); done; echo "i=$i"',
      'case abc in a*) echo matched;; esac',
    ].join('\n');
    const result = run(script);
    expect(result.stdout).toBe('n1 n2 n3 \nsub=INNER\nto-file\nmore\nls: /nonexistent:\ni=5\nmatched\n');
    expect(result.stderr).toBe('err\n');
    expect(result.status).toBe(0);
  });

  it('runs background jobs, wait, fork/exec chains and subshells', () => {
    const script = [
      'sleep 0.2 & p=$!; echo started; wait $p; echo "waited $?"',
      '(exit 3); echo "subshell $?"',
      'sh -c "sh -c \'echo nested\'"',
      'false || echo "or works"',
      'true && echo "and works"',
      'echo a & echo b & wait; echo both',
    ].join('\n');
    const result = run(script);
    expect(result.stdout.split('\n').sort()).toEqual(['', 'a', 'and works', 'b', 'both', 'nested', 'or works', 'started', 'subshell 3', 'waited 0'].sort());
    expect(result.status).toBe(0);
  });

  it('runs a program again after it changed, whatever the sentry kept of it', () => {
    // Same size each time: only the file's times tell the versions apart.
    const script = [
      'for word in one two six; do printf "#!/bin/sh\\necho $word\\n" > /tmp/prog; chmod +x /tmp/prog; /tmp/prog; /tmp/prog; done',
      'cp /bin/busybox /tmp/echo; /tmp/echo copy; printf "#!/bin/sh\\necho replaced\\n" > /tmp/echo; /tmp/echo',
    ].join('\n');
    const result = run(script);
    expect(result.stdout).toBe('one\none\ntwo\ntwo\nsix\nsix\ncopy\nreplaced\n');
    expect(result.status).toBe(0);
  });

  it('delivers signals between sandbox processes (trap, kill, wait status)', () => {
    const script = [
      'trap "echo got USR1" USR1',
      'kill -USR1 $$',
      'sleep 5 & p=$!; kill -TERM $p; wait $p; echo "status $?"',
      'trap "echo int; exit 9" INT; kill -INT $$; echo not-reached',
    ].join('\n');
    const result = run(script);
    expect(result.stdout).toBe('got USR1\nstatus 143\nint\n');
    expect(result.status).toBe(9);
  });

  it('shows the spec hostname and the spec user', () => {
    expect(run('hostname; id', { hostname: 'box-1' }).stdout).toBe('box-1\nuid=0(root) gid=0(root)\n');
    expect(run('id; echo $HOME', { uid: 1000, gid: 1000, additionalGids: [50] }).stdout).toBe('uid=1000(app) gid=1000(app) groups=50(staff)\n/home/app\n');
  });

  it('lets sethostname change only the sandbox, with CAP_SYS_ADMIN', () => {
    expect(run('hostname renamed 2>/dev/null; hostname').stdout).toBe('tssc-e2e\n');
    expect(run('hostname renamed; hostname', { extraCaps: ['CAP_SYS_ADMIN'] }).stdout).toBe('renamed\n');
  });

  it('numbers processes from 1 and shows only the sandbox in ps', () => {
    const result = run('echo "me=$$ parent=$PPID"; sh -c \'echo "child parent=$PPID"\'; ps -o pid,comm | sort -n');
    const [me, child, ...ps] = result.stdout.trim().split('\n');
    expect(me).toBe('me=1 parent=0');
    expect(child).toBe('child parent=1');
    const pids = ps.filter((l) => /^\s*\d/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(pids[0]).toBe(1);
    expect(pids.length).toBeLessThanOrEqual(4);
    expect(pids.every((p) => p < 20)).toBe(true);
  });

  it('prints trapped syscalls with --strace', () => {
    writeConfig(dir, { args: ['echo', 'traced'] });
    const result = tssc(['--strace']);
    expect(result.stdout).toBe('traced\n');
    expect(result.stderr).toMatch(/\[\s*1:\s*1\] write\(1, "traced\\n", 7\) = 7/);
    expect(result.stderr).toMatch(/exited: status 0/);
  });

  it('reports a missing program clearly', () => {
    writeConfig(dir, { args: ['no-such-program'] });
    const result = tssc();
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no-such-program: executable file not found/);
  });

  it('answers ENOENT, EACCES and ENOEXEC from execve as Linux does', () => {
    const script = [
      '/nope 2>/dev/null; echo "missing $?"',
      'echo "echo hi" > /tmp/noexec; /tmp/noexec 2>/dev/null; echo "not executable $?"',
      // ENOEXEC makes the shell run the file as a script, as POSIX says: "command not found".
      'printf "\\001\\002garbage" > /tmp/bad; chmod +x /tmp/bad; /tmp/bad 2>/dev/null; echo "bad format $?"',
      'printf "#!/bin/sh\\necho from script \\$0\\n" > /tmp/s.sh; chmod +x /tmp/s.sh; /tmp/s.sh',
    ].join('\n');
    expect(run(script).stdout).toBe('missing 127\nnot executable 126\nbad format 127\nfrom script /tmp/s.sh\n');
  });

  const utilities: [string, string][] = [
    // The "total" line (st_blocks) is left out: the overlay reports its own block counts.
    ['ls -l', 'ls -ln /data | sed -e "s/ [A-Z][a-z][a-z] .* / DATE /" -e "/^total/d"'],
    ['cat', 'cat /data/fruits.txt /data/sub/notes.md'],
    ['cp, mv, rm', 'cp /data/fruits.txt /tmp/a && mv /tmp/a /tmp/b && cat /tmp/b && rm /tmp/b && ls /tmp'],
    ['find', 'find /data | sort'],
    ['sort, uniq, wc', 'sort /data/fruits.txt | uniq -c; wc -l /data/numbers.txt; sort -n /data/numbers.txt | tail -3'],
    ['head', 'head -3 /data/numbers.txt'],
    ['tar', 'cd /tmp && tar -cf t.tar -C /data . && tar -tf t.tar | sort && mkdir -p x && tar -xf t.tar -C x && cat x/sub/notes.md'],
    ['gzip', 'gzip -c /data/fruits.txt > /tmp/f.gz && gzip -dc /tmp/f.gz | md5sum'],
    ['sed', 'sed -e "s/a/A/g" -e "/fig/d" /data/fruits.txt'],
    ['grep', 'grep -n an /data/fruits.txt; grep -c . /data/sub/notes.md; grep -r end /data'],
  ];
  it.skipIf(!isRoot).each(utilities)('%s gives the output it gives under chroot', (_name, script) => {
    const reference = chrootRun(rootfs, ['sh', '-c', script]);
    const sandboxed = run(script);
    expect(sandboxed.stdout).toBe(reference.stdout);
    expect(sandboxed.status).toBe(reference.status);
  });

  it('keeps the host rootfs byte-identical after writes', () => {
    // The chroot references above write to the host rootfs; the sandbox must not.
    before = snapshot(rootfs);
    run('echo x > /data/fruits.txt; rm -r /data/sub; mkdir /newdir; touch /bin/new; chmod 777 /etc/passwd');
    expect(snapshot(rootfs)).toEqual(before);
  });
});
