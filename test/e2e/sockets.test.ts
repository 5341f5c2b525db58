// Sockets under `tssc run`: C programs about AF_UNIX and TCP/UDP print what they print
// natively (the reference runs in a network namespace of its own, so it reaches nothing
// but its loopback: the sandbox runs with --network=none to match), busybox's nc, httpd
// and wget talk over the sandbox's loopback, and the sandbox's network is its own under
// none and sandbox alike: host servers on the host's loopback, host unix sockets (path and
// abstract) and host ports are out of reach, and its ports are not the host's.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig } from './busybox-bundle.js';
import { nativeIsolated } from './native-network.js';

const FIXTURES = path.join(REPO, 'test', 'e2e', 'fixtures');
const NOBODY = 65534;
const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-n', '-m', 'true']).status === 0;
const PROGRAMS = [
  { name: 'unix-sockets', linkage: 'static' },
  { name: 'unix-sockets', linkage: 'dynamic' },
  { name: 'tcp-edges', linkage: 'static' },
  { name: 'tcp-edges', linkage: 'dynamic' },
  // Bulk data whole and in order through blocked writers, MSG_WAITALL and partial writes.
  { name: 'stream-integrity', linkage: 'static' },
] as const;

describe.skipIf(!hasBusybox() || !hasCompiler())('sockets under tssc', () => {
  let dir: string;
  const binaries = new Map<string, string>();

  beforeAll(() => {
    dir = scratchDir('tssc-sockets-');
    const rootfs = makeRootfs(dir);
    for (const { name, linkage } of PROGRAMS) {
      binaries.set(`${name}-${linkage}`, installCProgram(rootfs, path.join(FIXTURES, `${name}.c`), `${name}-${linkage}`, linkage));
    }
    installCProgram(rootfs, path.join(FIXTURES, 'net-probe.c'), 'net-probe', 'static');
  });
  afterAll(() => removeDir(dir));

  for (const { name, linkage } of PROGRAMS) {
    it(`${name} (${linkage}) gives the native output`, () => {
      const program = `${name}-${linkage}`;
      const scratch = path.join(dir, `native-${program}`);
      mkdirSync(scratch);
      const args = name === 'unix-sockets' ? ['/tmp'] : [];
      const native = nativeIsolated(binaries.get(program)!, name === 'unix-sockets' ? [scratch] : []);
      expect(native.status).toBe(0);
      writeConfig(dir, { args: [`/bin/${program}`, ...args] });
      const sandboxed = tsscRun(dir, ['--network=none']);
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(native.stdout);
      expect(sandboxed.status).toBe(native.status);
    });
  }

  it.skipIf(!canSetpriv)('gives the native output with tssc run as nobody', () => {
    const copy = worldReadableCopy(path.join(dir, 'tssc-copy'));
    mkdirSync(path.join(dir, 'states'), { mode: 0o1777 });
    chmodSync(path.join(dir, 'states'), 0o1777);
    for (const program of ['unix-sockets-static', 'tcp-edges-static']) {
      const args = program.startsWith('unix') ? ['/tmp'] : [];
      const scratch = path.join(dir, `native-nobody-${program}`);
      mkdirSync(scratch);
      const native = nativeIsolated(binaries.get(program)!, program.startsWith('unix') ? [scratch] : []);
      writeConfig(dir, { args: [`/bin/${program}`, ...args] });
      const sandboxed = tsscRun(dir, ['--network=none'], { tsscDir: copy, asUser: NOBODY, stateDir: path.join(dir, 'states', program) });
      expect(sandboxed.stderr, program).toBe('');
      expect(sandboxed.stdout, program).toBe(native.stdout);
    }
  });

  it('busybox nc, httpd and wget talk over the sandbox\'s loopback', () => {
    const script = [
      'mkdir -p /tmp/www && echo "served by httpd" > /tmp/www/index.html',
      'httpd -f -p 127.0.0.1:8080 -h /tmp/www & httpd=$!',
      'echo "through nc" | nc -l -p 9000 & listener=$!',
      'for i in $(seq 50); do wget -q -O - http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.1; done',
      'for i in $(seq 50); do nc 127.0.0.1 9000 </dev/null 2>/dev/null && break; sleep 0.1; done',
      'kill $httpd; wait $listener; echo "nc listener done $?"',
    ].join('\n');
    writeConfig(dir, { args: ['sh', '-c', script] });
    const result = tsscRun(dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('served by httpd\nthrough nc\nnc listener done 0\n');
    expect(result.status).toBe(0);
  });

  it.skipIf(!canUnshare)('describes its network as a namespace with only lo: ifconfig, ip, netstat, /proc/net', () => {
    const script = [
      'ifconfig; ip addr; ip link; ip route; ip route show table local; ip -6 route show table local',
      'nc -l -p 8080 & listener=$!; sleep 0.5',
      'netstat -ltn; cut -c1-100 /proc/net/tcp6; cat /proc/net/dev /proc/net/if_inet6 /proc/net/route',
      'kill $listener',
      'cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/ip_local_port_range',
    ].join('\n');
    const rootfs = path.join(dir, 'rootfs');
    const native = spawnSync('unshare', ['-n', '-m', 'sh', '-c', 'ip link set lo up && mount -t proc proc "$1/proc" && touch "$1/dev/null" && mount --bind /dev/null "$1/dev/null" && mount -o remount,bind,ro "$1/dev/null" && exec chroot "$1" /bin/sh -c "$2"', 'native', rootfs, script], { encoding: 'utf8', timeout: 60_000 });
    expect(native.status).toBe(0);
    writeConfig(dir, { args: ['sh', '-c', script] });
    const sandboxed = tsscRun(dir, ['--network=none']);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native.stdout);
  });

  it.each(['none', 'sandbox'])('cannot reach a host server on 127.0.0.1, nor host unix sockets by path or abstract name (--network=%s)', async (mode) => {
    const shared = path.join(dir, 'shared');
    mkdirSync(shared, { recursive: true });
    const servers = [0, 1, 2].map(() => net.createServer((c) => c.end('host secret\n')));
    const abstractName = `tssc-host-${process.pid}`;
    await new Promise<void>((resolve) => servers[0]!.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => servers[1]!.listen(path.join(shared, 'host.sock'), resolve));
    await new Promise<void>((resolve) => servers[2]!.listen(`\0${abstractName}`, resolve));
    const port = (servers[0]!.address() as net.AddressInfo).port;
    try {
      const script = [`net-probe tcp 127.0.0.1 ${port}`, 'net-probe unix /shared/host.sock', `net-probe abstract ${abstractName}`, 'ls -l /shared/host.sock | cut -c1'].join('\n');
      writeConfig(dir, { args: ['sh', '-c', script] });
      addMount(dir, { destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
      // In the background: the host servers answer from this process's event loop.
      const result = await runAsync(dir, [`--network=${mode}`]);
      expect(result.stdout).toBe('tcp: ECONNREFUSED\nunix: ECONNREFUSED\nabstract: ECONNREFUSED\ns\n');
      // The host's own clients still reach them.
      expect(await readFrom(port)).toBe('host secret\n');
    } finally {
      for (const server of servers) server.close();
    }
  });

  it('binds nothing on the host: no listener of tssc\'s process tree holds the port it listens on inside', async () => {
    writeConfig(dir, { args: ['net-probe', 'listen', '3'] });
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(dir, 'state'), 'run', '--bundle', dir, `listen-${process.pid}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('close', () => reject(new Error('tssc ended before it listened')));
    });
    const mine = socketInodesOfTree(child.pid!);
    const listeners = hostListenersOn(port);
    await new Promise((resolve) => child.once('close', resolve));
    expect(port).toBeGreaterThanOrEqual(32768);
    expect(listeners.filter((inode) => mine.has(inode))).toEqual([]);
  });

  it('holds its ports apart from the host\'s: one port listened on inside and on the host at once', async () => {
    const host = net.createServer((c) => c.end('host\n'));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const port = (host.address() as net.AddressInfo).port;
    try {
      const script = [
        `echo "inside" | nc -l -p ${port} & listener=$!`,
        `for i in $(seq 50); do net-probe tcp 127.0.0.1 ${port} | grep -q connected && break; sleep 0.1; done`,
        'wait $listener; echo "listener $?"',
        `echo "inside again" | nc -l -p ${port} & sleep 2; net-probe tcp 127.0.0.1 ${port}`,
      ].join('\n');
      writeConfig(dir, { args: ['sh', '-c', script] });
      const running = runAsync(dir);
      // While the sandbox listens on the port, a host client still reaches the host's server.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const fromHost = await readFrom(port);
      const result = await running;
      expect(fromHost).toBe('host\n');
      expect(result.stdout).toBe('listener 0\ntcp: connected, read: inside again\n');
    } finally {
      host.close();
    }
  });
});

/** Socket inodes of pid and every process below it, from /proc/PID/fd. */
function socketInodesOfTree(root: number): Set<string> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const inodes = new Set<string>();
  const visit = (pid: number): void => {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      }
    } catch {
      // Gone meanwhile.
    }
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return inodes;
}

/** Inodes of the host's listening TCP sockets on port. */
function hostListenersOn(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
      .map((f) => f[9]!),
  );
}

function addMount(dir: string, mount: object): void {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { mounts: object[] };
  config.mounts.push(mount);
  writeFileSync(file, JSON.stringify(config));
}

function readFrom(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect(port, '127.0.0.1');
    socket.on('data', (d: Buffer) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** tsscRun without blocking this process's event loop (for servers the test itself runs). */
function runAsync(dir: string, extra: string[] = []): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'tssc.js'), '--root', path.join(dir, 'state'), 'run', ...extra, '--bundle', dir, `sockets-${process.pid}-${Date.now()}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
