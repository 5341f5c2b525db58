// The network modes end to end, against servers in network namespaces the test makes
// (test-network.ts): nothing leaves the machine. A C program about TCP and UDP to an
// outside peer prints the same natively in the pod namespace and under tssc with the spec
// naming that namespace; busybox and python clients reach the far end under
// --network=sandbox and not under none; the far end sees the pod's address; DNS through
// the bundle's resolv.conf; published ports; --network=host on the host's port space.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, hasBusybox, hasCompiler, installCProgram, makeRootfs, removeDir, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { canMakeNetworks, makeTestNetwork, type TestNetwork } from './test-network.js';

const FIXTURES = path.join(REPO, 'test', 'e2e', 'fixtures');

/** Gives the bundle's network namespace entry a path (undefined: none). */
function setNetns(dir: string, netnsPath: string | undefined): void {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { linux: { namespaces: { type: string; path?: string }[] } };
  config.linux.namespaces = config.linux.namespaces.map((ns) => (ns.type === 'network' ? { type: 'network', ...(netnsPath ? { path: netnsPath } : {}) } : ns));
  writeFileSync(file, JSON.stringify(config));
}

describe.skipIf(!canMakeNetworks || !hasBusybox() || !hasCompiler())('the network modes, against a far end the test made', () => {
  let net: TestNetwork;
  let dir: string;
  let probe: string;

  beforeAll(async () => {
    net = await makeTestNetwork();
    dir = scratchDir('tssc-netmodes-');
    const rootfs = makeRootfs(dir);
    probe = installCProgram(rootfs, path.join(FIXTURES, 'net-outside.c'), 'net-outside', 'static');
  });
  afterAll(() => {
    net?.close();
    if (dir) removeDir(dir);
  });

  it('TCP and UDP to the far end look the same under tssc as natively in the pod namespace', () => {
    const args = [net.farFromPod, net.absentOnPodLink, net.blackHole];
    const native = spawnSync(net.inPod([probe, ...args])[0]!, net.inPod([probe, ...args]).slice(1), { encoding: 'utf8', timeout: 90_000 });
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
});
