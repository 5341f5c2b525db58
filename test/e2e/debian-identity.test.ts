// Real programs that change identity, run as sandbox root in a Debian userland under
// `tssc run` and under chroot on the host (the reference, with the same bounding set):
// util-linux's setpriv, su and runuser (with PAM: its audit messages go to a NETLINK_AUDIT
// socket that answers ECONNREFUSED, as in any container without the initial user
// namespace), and libcap's capsh --print.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { debianRootfs, type DebianRootfsSpec } from '../fixtures/debian-rootfs.js';
import { DEFAULT_CAPS, runInChroot, runInTssc } from '../fixtures/debian-sandbox.js';

const IDENTITY: DebianRootfsSpec = {
  programs: ['sh', 'bash', 'id', 'setpriv', 'su', 'runuser', 'capsh'],
  trees: [{ path: '/etc/pam.d' }, { path: '/etc/security' }, { path: '/usr/lib/x86_64-linux-gnu/security' }, { path: '/etc/login.defs' }],
};
const available = process.getuid?.() === 0 && ['/usr/bin/setpriv', '/bin/su', '/sbin/capsh'].every((p) => existsSync(p));

/** The reference runs with the bundle's bounding set, as runc would start it. */
function reference(rootfs: string, args: string[]): ReturnType<typeof runInChroot> {
  const bounding = `-all,${DEFAULT_CAPS.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',')}`;
  return runInChroot(rootfs, ['/usr/bin/setpriv', `--bounding-set=${bounding}`, '--inh-caps=-all', ...args]);
}

/** The rootfs for IDENTITY, with the /etc/shadow PAM's account checks read (no passwords). */
function identityRootfs(): string {
  const rootfs = debianRootfs(IDENTITY);
  const shadow = path.join(rootfs, 'etc', 'shadow');
  if (!existsSync(shadow)) writeFileSync(shadow, ['root', 'app', 'nobody'].map((u) => `${u}:*:19000:0:99999:7:::\n`).join(''), { mode: 0o600 });
  return rootfs;
}

describe.skipIf(!available)('identity-changing programs in a Debian userland', () => {
  const rootfs = available ? identityRootfs() : '';
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-debian-identity-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));

  for (const args of [
    ['/usr/bin/setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', '/usr/bin/id'],
    ['/bin/su', '-s', '/bin/sh', 'nobody', '-c', '/usr/bin/id'],
    ['/sbin/runuser', '-u', 'app', '--', '/usr/bin/id'],
    ['/sbin/capsh', '--print'],
    ['/sbin/capsh', '--keep=1', '--user=app', '--caps=cap_chown+eip', '--addamb=cap_chown', '--', '-c', 'exec /sbin/capsh --print'],
  ] as const) {
    it(args.join(' '), () => {
      const native = reference(rootfs, [...args]);
      expect(native.status).toBe(0);
      const sandboxed = runInTssc(bundle, rootfs, [...args]);
      expect(sandboxed.stderr).toBe(native.stderr);
      expect(sandboxed.stdout).toBe(native.stdout);
      expect(sandboxed.status).toBe(native.status);
    });
  }
});
