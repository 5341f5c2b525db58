// `tssc run` of wasm bundles, end to end: a wasm init (no ptrace needed), and a mixed
// pipeline where busybox's sh execs wasm programs between Linux ones in one sandbox, and
// wasm servers on sockets Linux processes hand them.

import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from '../e2e/busybox-bundle.js';
import { compileFixture, ensureCompiled } from './harness.js';

/** Where bin/tssc.js lives: this tree, or another (TSSC_DIR) to try wiring before it lands. */
const tsscDir = process.env['TSSC_DIR'];

let dir: string;

beforeAll(async () => {
  ensureCompiled();
  dir = scratchDir('tssc-wasi-run-');
  const rootfs = makeRootfs(dir);
  for (const name of ['args-env', 'cat', 'files', 'sock-serve']) {
    copyFileSync(await compileFixture(name, 'wasm'), path.join(rootfs, 'bin', `${name}.wasm`));
  }
  mkdirSync(path.join(rootfs, 'work'));
  writeFileSync(path.join(rootfs, 'data', 'hello.txt'), 'hello world\n');
});
afterAll(() => removeDir(dir));

function run(args: string[], options: { env?: string[]; cwd?: string; annotations?: Record<string, string>; input?: string } = {}) {
  writeConfig(dir, { args, env: options.env ?? ['PATH=/bin', 'GREETING=from the spec'], ...(options.cwd ? { cwd: options.cwd } : {}) });
  if (options.annotations) {
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.annotations = options.annotations;
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  }
  return tsscRun(dir, [], { ...(options.input === undefined ? {} : { input: options.input }), ...(tsscDir ? { tsscDir } : {}) });
}

describe('tssc run of a wasm bundle', () => {
  it('runs the module as init with the spec env, cwd as PWD, and its exit code', () => {
    const result = run(['args-env.wasm', '42', 'x y'], { cwd: '/work' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('argc 3\nargv[1] = [42]\nargv[2] = [x y]\nGREETING=from the spec\nEMPTY=(unset)\nUNSET=(unset)\nPWD=/work\nTSSC_ vars 0\n');
    expect(result.status).toBe(42);
  });

  it('gives the module the host stdio and a fatal trap as 128 + signal', () => {
    expect(run(['/bin/cat.wasm'], { input: 'through the sandbox\n' })).toMatchObject({ status: 0, stdout: 'through the sandbox\n' });
    const aborted = run(['/bin/args-env.wasm', 'abort']);
    expect(aborted.status).toBe(134);
    expect(aborted.stderr).toContain('unreachable');
  });

  it('works on files of the bundle without changing them on the host', () => {
    const result = run(['/bin/files.wasm']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('content: 0123AB\n');
    expect(readFileSync(path.join(dir, 'rootfs', 'data', 'hello.txt'), 'utf8')).toBe('hello world\n');
  });

  it('refuses a broken module with a clear error and touches nothing', () => {
    writeFileSync(path.join(dir, 'rootfs', 'bin', 'broken.wasm'), Buffer.from('0061736d01000000ffff', 'hex'), { mode: 0o755 });
    const result = run(['/bin/broken.wasm']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^tssc: \/bin\/broken\.wasm: ENOEXEC: Exec format error \(.+\)\n$/);
  });

  it('runs the init module without the execute bit, as crun and runwasi do', () => {
    copyFileSync(path.join(dir, 'rootfs', 'bin', 'args-env.wasm'), path.join(dir, 'rootfs', 'bin', 'readable.wasm'));
    chmodSync(path.join(dir, 'rootfs', 'bin', 'readable.wasm'), 0o644);
    expect(run(['/bin/readable.wasm', '4']).status).toBe(4);
    // Read permission still counts: a user without capabilities may not load it.
    chmodSync(path.join(dir, 'rootfs', 'bin', 'readable.wasm'), 0o200);
    writeConfig(dir, { args: ['/bin/readable.wasm', '4'], uid: 1000, gid: 1000 });
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.process.capabilities = { bounding: [], effective: [], permitted: [], inheritable: [] };
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const unreadable = tsscRun(dir, [], tsscDir ? { tsscDir } : {});
    expect(unreadable.status).toBe(1);
    expect(unreadable.stderr).toMatch(/EACCES/);
  });

  it('runs an annotated module even under a name that says nothing', () => {
    copyFileSync(path.join(dir, 'rootfs', 'bin', 'args-env.wasm'), path.join(dir, 'rootfs', 'bin', 'plain'));
    const result = run(['/bin/plain', '3'], { annotations: { 'module.wasm.image/variant': 'compat' } });
    expect(result.status).toBe(3);
  });
});

describe('tssc run of a wasm bundle on a host without the native helper', () => {
  it('never needs the ptrace addon', () => {
    // A copy of tssc whose native/ has only the host file calls of the VFS (hostfs.c): loading
    // the ptrace addon would fail there.
    const copy = scratchDir('tssc-no-native-');
    const source = tsscDir ?? path.resolve(import.meta.dirname, '../..');
    for (const entry of ['bin', 'dist', 'package.json', 'native/ptrace/build/Release/tssc_hostfs.node']) cpSync(path.join(source, entry), path.join(copy, entry), { recursive: true });
    symlinkSync(path.join(source, 'node_modules'), path.join(copy, 'node_modules'));
    expect(existsSync(path.join(copy, 'native/ptrace/build/Release/tssc_ptrace.node'))).toBe(false);
    writeConfig(dir, { args: ['/bin/args-env.wasm', '5'] });
    const result = tsscRun(dir, [], { tsscDir: copy });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(5);
    removeDir(copy);
  });
});

describe.skipIf(!hasBusybox())('wasm and Linux processes in one sandbox', () => {
  it('busybox sh pipes through wasm programs', () => {
    const result = run(['sh', '-c', 'cat /data/fruits.txt | cat.wasm | sort | uniq -c | cat.wasm > /tmp/out; cat /tmp/out; args-env.wasm 9; echo "status $?"']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('      2 apple\n      1 banana\n      1 cherry\n      1 fig\n      1 pear\nargc 2\nargv[1] = [9]\nGREETING=from the spec\nEMPTY=(unset)\nUNSET=(unset)\nPWD=/\nTSSC_ vars 0\nstatus 9\n');
    expect(result.stderr).toBe('copied 35 bytes\ncopied 69 bytes\n');
  });

  it('a module a process execs still needs the execute bit, as execve does', () => {
    copyFileSync(path.join(dir, 'rootfs', 'bin', 'args-env.wasm'), path.join(dir, 'rootfs', 'bin', 'plain.wasm'));
    chmodSync(path.join(dir, 'rootfs', 'bin', 'plain.wasm'), 0o644);
    const result = run(['sh', '-c', '/bin/plain.wasm 3; echo "status $?"']);
    expect(result.stdout).toBe('status 126\n');
    expect(result.stderr).toMatch(/Permission denied/);
  });

  it('a wasm process has a pid in /proc and dies of a signal from sh', () => {
    const script = 'sleep 2 | cat.wasm & pid=$!; sleep 0.5; ls /proc | grep -c "^$pid$"; cat /proc/$pid/comm; kill $pid; wait $pid; echo "status $?"';
    const result = run(['sh', '-c', script]);
    expect(result.stdout).toBe('1\ncat.wasm\nstatus 143\n');
  });
});

describe.skipIf(!hasBusybox() || !hasCompiler())('wasm servers on sockets Linux processes hand them', () => {
  // Every wait is bounded (timeout), so a server that fails to answer fails the test, never hangs it.
  /** Busybox nc as the client, once the shell command ready succeeds; what it got goes to /tmp/got. */
  const clientWhen = (ready: string, port: number) => `for i in $(seq 100); do ${ready} && break; sleep 0.1; done; echo hello | timeout 20 nc 127.0.0.1 ${port} > /tmp/got`;

  it('serves the connection it has as stdio, inetd-style (nc -l -e)', () => {
    const script = ['timeout 30 nc -l -p 7001 -e /bin/sock-serve.wasm stdio & server=$!', clientWhen('netstat -ltn | grep -q :7001', 7001), 'wait $server; echo "status $?"', 'cat /tmp/got'];
    const result = run(['sh', '-c', script.join('\n')]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('status 0\nwasm got hello\n');
  });

  it('accepts on a listening socket a native parent handed it: sock_accept, sock_recv, sock_send, sock_shutdown', () => {
    installCProgram(path.join(dir, 'rootfs'), path.join(REPO, 'test', 'e2e', 'fixtures', 'listen-exec.c'), 'listen-exec', 'static');
    // The client comes once the module has seen nobody there.
    // /tmp/server exists before the client looks in it (the background job opens it later).
    const script = [': > /tmp/server; timeout 30 listen-exec 7002 /bin/sock-serve.wasm accept > /tmp/server & server=$!', clientWhen('grep -q "nobody there" /tmp/server', 7002), 'wait $server; echo "status $?"', 'cat /tmp/server /tmp/got'].join('\n');
    const result = run(['sh', '-c', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'status 0',
        'accept on a file: ENOTSOCK',
        'recv on a file: ENOTSOCK',
        'accept on a closed fd: EBADF',
        'recv on the listener: ENOTCONN',
        'accept on a non-blocking listener, nobody there: EAGAIN',
        'accept4: ok',
        'the connection is a socket: yes; non-blocking: yes',
        'peeked 3: hel',
        'shutdown with a bad how: EINVAL',
        'after the client left: recv 0',
        // An error, not SIGPIPE: preview1 gives a module no way to ignore the signal.
        'send after shutdown: EPIPE',
        'served: 0',
        'wasm got hello',
        '',
      ].join('\n'),
    );
  });
});
