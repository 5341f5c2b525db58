// A network the tests make for themselves (root only), so that traffic leaving a sandbox
// stays on this machine: a namespace "far" with the far-end servers (fixtures/far-end.py),
// reached from the host's namespace over one veth pair (10.201.K.0/24, fd20:K::/64) and
// from a namespace "pod" over another (10.202.K.0/24). The pod has no default route, and
// 10.203.K.0/24 is routed to the far end, which does not forward: a connect there times
// out (tcp_syn_retries is 1 in the pod, so in about 3 s), while one to an absent address
// on the pod's link fails sooner, when ARP gives up. Every name is unique to the test
// run; close() removes it all.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './busybox-bundle.js';

export const PYTHON = '/usr/bin/python3';

/** Whether this process may make network namespaces and veth pairs (root, iproute2, python3). */
export const canMakeNetworks =
  process.getuid?.() === 0 && existsSync(PYTHON) && spawnSync('ip', ['netns', 'list']).status === 0;

export interface TestNetwork {
  /** The far end's address from the host's namespace, and the host's address toward it. */
  readonly farFromHost: string;
  readonly hostAddress: string;
  readonly farFromHostV6: string;
  /** The host's end of the veth toward the far end (a link only the host's namespace has). */
  readonly hostLink: string;
  /** The far end's address from the pod, and the pod's own. */
  readonly farFromPod: string;
  readonly podAddress: string;
  /** An address on the pod's link nobody has (EHOSTUNREACH), and one whose SYNs vanish (ETIMEDOUT). */
  readonly absentOnPodLink: string;
  readonly blackHole: string;
  /** The pod namespace's path, as a spec names it. */
  readonly podPath: string;
  readonly podName: string;
  readonly farName: string;
  /** Runs argv in the pod namespace (a native reference). */
  inPod(argv: string[]): string[];
  close(): void;
}

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
}

function freeSubnet(): number {
  for (;;) {
    const k = 1 + (randomBytes(1)[0]! % 250);
    const used = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
    if (!used.includes(`10.201.${k}.`) && !used.includes(`10.202.${k}.`)) return k;
  }
}

/** Makes the namespaces, links and the far end's servers; resolves once they listen. */
export async function makeTestNetwork(): Promise<TestNetwork> {
  const tag = randomBytes(3).toString('hex');
  const k = freeSubnet();
  const far = `tssc-far-${tag}`;
  const pod = `tssc-pod-${tag}`;
  const [hostLink, farHostLink, podLink, farPodLink] = ['h', 'f', 'p', 'q'].map((s) => `tn${tag}${s}`) as [string, string, string, string];
  let server: ChildProcess | undefined;
  const close = (): void => {
    server?.kill('SIGKILL');
    spawnSync('ip', ['link', 'del', hostLink]);
    spawnSync('ip', ['netns', 'del', pod]);
    spawnSync('ip', ['netns', 'del', far]);
  };
  try {
    ip('netns', 'add', far);
    ip('netns', 'add', pod);
    ip('-n', far, 'link', 'set', 'lo', 'up');
    ip('-n', pod, 'link', 'set', 'lo', 'up');
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', farHostLink, 'netns', far);
    ip('addr', 'add', `10.201.${k}.1/24`, 'dev', hostLink);
    ip('-6', 'addr', 'add', `fd20:${k}::1/64`, 'dev', hostLink, 'nodad');
    ip('link', 'set', hostLink, 'up');
    ip('-n', far, 'addr', 'add', `10.201.${k}.2/24`, 'dev', farHostLink);
    ip('-n', far, '-6', 'addr', 'add', `fd20:${k}::2/64`, 'dev', farHostLink, 'nodad');
    ip('-n', far, 'link', 'set', farHostLink, 'up');
    ip('-n', pod, 'link', 'add', podLink, 'type', 'veth', 'peer', 'name', farPodLink, 'netns', far);
    ip('-n', pod, 'addr', 'add', `10.202.${k}.1/24`, 'dev', podLink);
    ip('-n', pod, 'link', 'set', podLink, 'up');
    ip('-n', far, 'addr', 'add', `10.202.${k}.2/24`, 'dev', farPodLink);
    ip('-n', far, 'link', 'set', farPodLink, 'up');
    ip('-n', pod, 'route', 'add', `10.203.${k}.0/24`, 'via', `10.202.${k}.2`);
    // A connect to the black hole times out in 3 s; one to an absent neighbour fails first (ARP in 0.75 s).
    const sysctl = spawnSync('ip', ['netns', 'exec', pod, 'sysctl', '-q', '-w', 'net.ipv4.tcp_syn_retries=1', `net.ipv4.neigh.${podLink}.retrans_time_ms=250`]);
    if (sysctl.status !== 0) throw new Error('sysctl in the pod namespace failed');
    server = spawn('ip', ['netns', 'exec', far, PYTHON, path.join(REPO, 'test', 'e2e', 'fixtures', 'far-end.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once('data', () => resolve());
      server!.once('exit', (code) => reject(new Error(`the far end's servers ended (${code})`)));
    });
  } catch (e) {
    close();
    throw e;
  }
  return {
    farFromHost: `10.201.${k}.2`,
    hostAddress: `10.201.${k}.1`,
    farFromHostV6: `fd20:${k}::2`,
    hostLink,
    farFromPod: `10.202.${k}.2`,
    podAddress: `10.202.${k}.1`,
    absentOnPodLink: `10.202.${k}.99`,
    blackHole: `10.203.${k}.1`,
    podPath: `/run/netns/${pod}`,
    podName: pod,
    farName: far,
    inPod: (argv) => ['ip', 'netns', 'exec', pod, ...argv],
    close,
  };
}
