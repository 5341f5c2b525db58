// The network modes end to end, against servers in network namespaces the test makes
// (test-network.ts), so nothing leaves the machine. A C program about TCP and UDP to an
// outside peer prints the same natively in the pod namespace and under tssc with the spec
// naming that namespace; busybox clients reach the far end under --network=sandbox and
// not under none, from the host's address or, with a namespace path, the pod's; DNS
// through the bundle's resolv.conf; published ports (TCP and UDP, as root and as nobody);
// --network=host on the host's port space; no host fd in any workload process; hostile
// traffic leaves the sentry running within bounded memory.
import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net, { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianRootfs, type DebianRootfsSpec } from '../fixtures/debian-rootfs.js';
import { writeDebianBundle } from '../fixtures/debian-sandbox.js';
import { NOBODY, REPO, TSSC_USERS, canSetpriv, childrenOf, finished, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, tsscSpawn, waitForOutput, worldReadableCopy, writeConfig, type RunOptions } from './busybox-bundle.js';
import { PYTHON, canMakeNetworks, makeTestNetwork, type TestNetwork } from './test-network.js';

const FIXTURES = path.join(REPO, 'test', 'e2e', 'fixtures');

type Config = { mounts: object[]; linux: { namespaces: { type: string; path?: string }[] } };

function editConfig(dir: string, edit: (config: Config) => void): void {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Config;
  edit(config);
  writeFileSync(file, JSON.stringify(config));
}

/** Gives the bundle's network namespace entry a path (undefined: none). */
function setNetns(dir: string, netnsPath: string | undefined): void {
  editConfig(dir, (config) => {
    config.linux.namespaces = config.linux.namespaces.map((ns) => (ns.type === 'network' ? { type: 'network', ...(netnsPath ? { path: netnsPath } : {}) } : ns));
  });
}

/** A TCP port of the host's loopback nobody holds now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function readLine(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = net.connect(port, host);
    socket.on('data', (d: Buffer) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function udpAsk(port: number, message: string): Promise<{ text: string; from: number }> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no answer'));
    }, 10_000);
    socket.on('message', (data, rinfo) => {
      clearTimeout(timer);
      socket.close();
      resolve({ text: String(data), from: rinfo.port });
    });
    socket.send(message, port, '127.0.0.1');
  });
}

/**
 * `tssc run` in the background: once its output shows ready, visit runs (the sandbox is
 * killed if it fails, so no server inside waits on); then what the run ended with.
 */
async function whileRunning(dir: string, options: RunOptions, ready: string, visit: (child: ReturnType<typeof tsscSpawn>) => Promise<void>) {
  const child = tsscSpawn(dir, options);
  const done = finished(child);
  try {
    await waitForOutput(child, ready);
    await visit(child);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return done;
}

/** The resident set of a process now, in bytes. */
function rssOf(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

describe.skipIf(!canMakeNetworks || !hasBusybox() || !hasCompiler())('the network modes, against a far end the test made', () => {
  let net: TestNetwork;
  let dir: string;
  let probe: string;
  let copy: string;

  beforeAll(async () => {
    net = await makeTestNetwork();
    dir = scratchDir('tssc-netmodes-');
    const rootfs = makeRootfs(dir);
    probe = installCProgram(rootfs, path.join(FIXTURES, 'net-outside.c'), 'net-outside', 'static');
    installCProgram(rootfs, path.join(FIXTURES, 'net-serve.c'), 'net-serve', 'static');
    installCProgram(rootfs, path.join(FIXTURES, 'net-hostile.c'), 'net-hostile', 'static');
    if (canSetpriv) {
      copy = worldReadableCopy(path.join(dir, 'tssc-copy'));
      mkdirSync(path.join(dir, 'states'), { mode: 0o1777 });
      chmodSync(path.join(dir, 'states'), 0o1777);
    }
  });
  afterAll(() => {
    net?.close();
    if (dir) removeDir(dir);
  });

  /** How tssc runs as user (its own, or nobody from a world-readable copy). */
  const runAs = (uid: number | undefined, name: string): RunOptions => (uid === undefined ? {} : { tsscDir: copy, asUser: uid, stateDir: path.join(dir, 'states', `${name}-${uid}`) });

  it('TCP and UDP to the far end look the same under tssc as natively in the pod namespace', () => {
    const args = [net.farFromPod, net.absentOnPodLink, net.blackHole];
    const argv = net.inPod([probe, ...args]);
    const native = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 90_000 });
    expect(native.stderr).toBe('');
    expect(native.status).toBe(0);
    // The errors each come as Linux gives them, through the host's own TCP.
    for (const line of ['refused, blocking: ECONNREFUSED', 'no route, blocking: ENETUNREACH', 'no such host: SO_ERROR EHOSTUNREACH', 'no answer, blocking: ETIMEDOUT', 'far end saw: reset 3', 'udp to a closed port: recv ECONNREFUSED']) {
      expect(native.stdout).toContain(line);
    }
    writeConfig(dir, { args: ['/bin/net-outside', ...args] });
    setNetns(dir, net.podPath);
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    expect(sandboxed.stdout).toBe(native.stdout);
    expect(sandboxed.status).toBe(0);
  }, 120_000);

  for (const { name, uid } of TSSC_USERS) {
    it(`reaches the far end under sandbox, from the host's address, and not under none (tssc as ${name})`, () => {
      const script = [`wget -q -O - http://${net.farFromHost}/`, `nc ${net.farFromHost} 14 </dev/null | cut -d' ' -f1`, `nc ${net.farFromHostV6} 14 </dev/null | cut -d' ' -f1`].join('; ');
      writeConfig(dir, { args: ['sh', '-c', script] });
      const sandboxed = tsscRun(dir, [], runAs(uid, 'outbound'));
      expect(sandboxed.stderr).toBe('');
      expect(sandboxed.stdout).toBe(`far end\n${net.hostAddress}\nfd20:${net.hostAddress.split('.')[2]}::1\n`);
      const none = tsscRun(dir, ['--network=none'], runAs(uid, 'outbound-none'));
      expect(none.stdout).toBe('');
      expect(none.stderr).toContain(`wget: can't connect to remote host (${net.farFromHost}): Network is unreachable`);
    });
  }

  it("leaves through the spec's namespace: the far end sees the pod's address", () => {
    writeConfig(dir, { args: ['sh', '-c', `nc ${net.farFromPod} 14 </dev/null | cut -d' ' -f1; wget -q -O - http://${net.farFromHost}/ 2>&1`] });
    setNetns(dir, net.podPath);
    const sandboxed = tsscRun(dir);
    expect(sandboxed.stderr).toBe('');
    // The pod has no route to the host's side of the far end.
    expect(sandboxed.stdout).toBe(`${net.podAddress}\nwget: can't connect to remote host (${net.farFromHost}): Network is unreachable\n`);
  });

  it.skipIf(!canSetpriv)('refuses a namespace path tssc may not enter, naming it', () => {
    writeConfig(dir, { args: ['true'] });
    setNetns(dir, net.podPath);
    const refused = tsscRun(dir, [], runAs(NOBODY, 'netns'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`tssc: network namespace ${net.podPath}: the sentry may not enter it (setns needs CAP_SYS_ADMIN over it)\n`);
    setNetns(dir, `${net.podPath}-gone`);
    const missing = tsscRun(dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`tssc: network namespace ${net.podPath}-gone: No such file or directory\n`);
  });

  for (const { name, uid } of TSSC_USERS) {
    it(`publishes TCP and UDP ports: host clients reach servers inside, seen as the gateway (tssc as ${name})`, async () => {
      const [tcpPort, udpPort] = [await freePort(), await freePort()];
      writeConfig(dir, { args: ['sh', '-c', 'net-serve tcp 8080 2 & net-serve udp 5353 1 & wait'] });
      const publish = ['-p', `127.0.0.1:${tcpPort}:8080`, '-p', `${udpPort}:5353/udp`];
      const result = await whileRunning(dir, { ...runAs(uid, 'publish'), runArgs: publish }, 'listening\nlistening\n', async () => {
        expect(await readLine(tcpPort)).toBe('inside saw 10.0.2.2 to 10.0.2.100\n');
        expect(await readLine(tcpPort)).toBe('inside saw 10.0.2.2 to 10.0.2.100\n');
        expect(await udpAsk(udpPort, 'ping')).toEqual({ text: 'inside got ping from 10.0.2.2\n', from: udpPort });
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });
  }

  it("answers a published port's UDP client from a socket connected to it, though the pod has no route to the gateway", async () => {
    const port = await freePort();
    writeConfig(dir, { args: ['net-serve', 'udp-connected', '5354', '1'] });
    setNetns(dir, net.podPath);
    const result = await whileRunning(dir, { runArgs: ['-p', `${port}:5354/udp`] }, 'listening', async () => {
      expect(await udpAsk(port, 'pong')).toEqual({ text: 'inside got pong from 10.0.2.2\n', from: port });
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('resets a client of a published port nobody listens on inside, and refuses publishing without the sandbox mode', async () => {
    const port = await freePort();
    writeConfig(dir, { args: ['sh', '-c', 'echo listening; sleep 2'] });
    await whileRunning(dir, { runArgs: ['-p', `127.0.0.1:${port}:9999`] }, 'listening', async () => {
      await expect(readLine(port)).rejects.toMatchObject({ code: 'ECONNRESET' });
    });
    for (const mode of ['none', 'host']) {
      const refused = tsscRun(dir, [`--network=${mode}`, '-p', `${port}:80`]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^tssc: published port ${port}:80/tcp: .*\\(--network=${mode}\\); publishing needs --network=sandbox\\n$`));
    }
  });

  it('under --network=host, listens on the host\'s port space and shows the host\'s interfaces', async () => {
    const port = await freePort();
    writeConfig(dir, { args: ['sh', '-c', `ip -o link | cut -d: -f2 | tr -d ' '; net-serve tcp ${port} 1`] });
    const result = await whileRunning(dir, { runArgs: ['--network=host'] }, 'listening', async () => {
      expect(await readLine(port)).toBe('inside saw 127.0.0.1 to 127.0.0.1\n');
    });
    expect(result.stderr).toBe('');
    // Other tests add and remove host links meanwhile: the sandbox's list is checked for the
    // host's loopback and this test's own veth, which only the host's namespace has.
    const [links, listening] = result.stdout.split('listening\n');
    expect(listening).toBe('');
    const names = links!.split('\n').map((name) => name.replace(/@.*$/, ''));
    expect(names).toContain('lo');
    expect(names).toContain(net.hostLink);
  });

  it('gives no workload process a host fd: the bridge\'s sockets are the sentry\'s', async () => {
    writeConfig(dir, { args: ['sh', '-c', `(echo hold; sleep 3) | nc ${net.farFromHost} 7`] });
    const result = await whileRunning(dir, {}, 'hold', async (child) => {
      const workload = childrenOf(child.pid!);
      expect(workload.length).toBeGreaterThan(0);
      for (const pid of workload) expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['3', '4']);
      const sentrySockets = readdirSync(`/proc/${child.pid}/fd`).map((fd) => readlinkSync(`/proc/${child.pid}/fd/${fd}`)).filter((l) => l.startsWith('socket:'));
      const connected = readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => l.includes(`:${(7).toString(16).toUpperCase().padStart(4, '0')} 01`));
      expect(connected.some((line) => sentrySockets.includes(`socket:[${line.trim().split(/\s+/)[9]}]`))).toBe(true);
    });
    expect(result.code).toBe(0);
  });

  it('survives hostile traffic with its memory bounded: held and pending connections, refused storms, a huge send', async () => {
    const script = [`net-hostile hold ${net.farFromPod}`, `net-hostile refused ${net.farFromPod} 2000`, `net-hostile pending ${net.farFromPod} ${net.blackHole}`, `net-hostile huge ${net.farFromPod} 1024`].join('; ');
    writeConfig(dir, { args: ['sh', '-c', script] });
    setNetns(dir, net.podPath);
    // Fds enough for every connection the sentry lets it hold.
    editConfig(dir, (config) => ((config as unknown as { process: { rlimits: object[] } }).process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 8192, soft: 8192 }]));
    const child = tsscSpawn(dir);
    const done = finished(child);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 50);
    const result = await done;
    clearInterval(sampler);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'held 1000 or more, then ENOBUFS',
        'after closing them: connect 0',
        'refused every time',
        'held 1000 or more, then ENOBUFS',
        'after closing them: connect 0',
        'one send: all of it',
        `far end saw: eof ${1024 * 2 ** 20}`,
        '',
      ].join('\n'),
    );
    // The sentry holds none of the bytes it carries: 1 GiB went through it, a piece at a time
    // (it starts at about 60 MiB; what it peaks at is garbage not yet collected).
    expect(peak).toBeLessThan(320 << 20);
  }, 120_000);

  /** `tssc run` of script in a Debian userland (sh, getent, python3) whose /etc/resolv.conf names nameserver. */
  function runWithResolver(nameserver: string, script: string) {
    const bundle = path.join(dir, 'debian');
    const resolv = path.join(dir, 'resolv.conf');
    writeFileSync(resolv, `nameserver ${nameserver}\noptions timeout:2 attempts:1\n`);
    writeDebianBundle(bundle, debianRootfs(DNS_USERLAND), ['/bin/sh', '-c', script]);
    editConfig(bundle, (config) => config.mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: resolv, options: ['rbind', 'ro'] }));
    return tsscRun(bundle);
  }

  it('resolves names through the bundle\'s resolv.conf: getent hosts and python getaddrinfo', () => {
    const script = "getent hosts app.test; getent hosts missing.test || echo \"missing: $?\"; python3 -c \"import socket; print(socket.getaddrinfo('other.test', 80, socket.AF_INET, socket.SOCK_STREAM)[0][4])\"";
    const result = runWithResolver(net.farFromHost, script);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe("10.9.8.7        app.test\nmissing: 2\n('10.9.8.8', 80)\n");
  });

  it("reaches a nameserver on the host's loopback that resolv.conf names, on port 53 alone", async () => {
    // An address of the host's loopback no other test uses, for a resolver and a host service beside it.
    const resolver = `127.${1 + randomInt(250)}.${randomInt(256)}.${1 + randomInt(250)}`;
    const dns = spawn(PYTHON, [path.join(FIXTURES, 'far-end.py'), '--dns', resolver], { stdio: ['pipe', 'pipe', 'inherit'] });
    const service = createServer((c) => c.end('host secret\n'));
    try {
      await new Promise((resolve) => dns.stdout.once('data', resolve));
      await new Promise<void>((resolve) => service.listen(0, resolver, resolve));
      const port = (service.address() as AddressInfo).port;
      const connect = (p: number) => `print(errno.errorcode.get(socket.socket().connect_ex(('${resolver}', ${p})), 'connected'))`;
      const probe = `python3 -c "import errno, socket; ${connect(53)}; ${connect(port)}"`;
      // The resolver over UDP (getent) and TCP port 53; the host's service on another port of its address stays out of reach.
      const result = runWithResolver(resolver, `getent hosts app.test; ${probe}`);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('10.9.8.7        app.test\nconnected\nECONNREFUSED\n');
    } finally {
      dns.kill('SIGKILL');
      service.close();
    }
  });
});

const DNS_USERLAND: DebianRootfsSpec = {
  programs: ['sh', 'getent', 'python3'],
  trees: [
    {
      path: '/usr/lib/python3.11',
      exclude: ['config-3.11-x86_64-linux-gnu', 'test', 'idlelib', 'lib2to3', 'pydoc_data', 'ensurepip', 'tkinter', 'turtledemo', 'distutils'],
    },
  ],
};

