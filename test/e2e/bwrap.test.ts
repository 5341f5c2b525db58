// Tools that build their own sandboxes, inside tssc, as sandbox root with CAP_SYS_ADMIN:
// pivot_root(2) from a C program (static and dynamic) with the output the host kernel
// gives; busybox's pivot_root refused without CAP_SYS_ADMIN, and no host path reached
// after a pivot through `..`, /proc/self/root or an fd of the old root kept open; and
// bubblewrap (--ro-bind / /, --dev, --proc, --tmpfs, --bind, --unshare-ipc/uts/net,
// --hostname, --chdir, --setenv, --die-with-parent, --cap-drop ALL, --new-session,
// --seccomp, --info-fd, --json-status-fd, --unshare-pid) with what it does natively as root
// in a chroot of the same rootfs. As tssc's own user and as nobody; the rootfs never changes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotHost } from '../vfs/property-ops.js';
import { TSSC_USERS, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';
import { debianRootfs } from '../fixtures/debian-rootfs.js';
import { ROOT, runInChroot, writeDebianBundle } from '../fixtures/debian-sandbox.js';

const isRoot = process.getuid?.() === 0;
const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;

describe.skipIf(!hasBusybox() || !hasCompiler())('pivot_root inside the sandbox', () => {
  let dir: string;
  let rootfs: string;
  let binaries: Map<string, string>;

  beforeAll(() => {
    dir = scratchDir('tssc-pivot-');
    rootfs = makeRootfs(dir);
    mkdirSync(path.join(rootfs, 'mnt'));
    binaries = installFixtures(rootfs, ['pivot-root']);
    // A name only the host has, beside the rootfs: no walk inside may ever find it.
    writeFileSync(path.join(dir, 'host-only-marker'), 'host\n');
  });
  afterAll(() => removeDir(dir));

  for (const linkage of ['static', 'dynamic'] as const) {
    it.skipIf(!isRoot)(`the ${linkage} program gives the native output`, () => {
      const scratch = mkdtempSync(path.join(dir, `native-${linkage}-`));
      const native = spawnSync(binaries.get(`pivot-root-${linkage}`)!, [scratch], { encoding: 'utf8', timeout: 60_000 });
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('pivot_root(., .): ok\n');
      expect(native.stdout).toContain('as uid 65534: EPERM\n');
      const before = snapshotHost(rootfs);
      for (const { uid } of TSSC_USERS) {
        writeConfig(dir, { args: [`/bin/pivot-root-${linkage}`, '/tmp'], extraCaps: ['CAP_SYS_ADMIN'] });
        expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
      }
      expect(snapshotHost(rootfs)).toEqual(before);
    });
  }

  it('refuses pivot_root without CAP_SYS_ADMIN', () => {
    // busybox's message, as it prints it natively for uid 65534.
    const script = 'cd /mnt; pivot_root . .; echo "pivot $?"';
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', script] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: 0, stdout: 'pivot 1\n', stderr: 'pivot_root: (null): Operation not permitted\n' });
    }
  });

  it.skipIf(!isRoot)('starts a new network namespace\'s lo down; ifconfig (SIOCSIFFLAGS) brings it up, as natively', () => {
    const script = [
      'busybox ifconfig lo | busybox grep -c UP',
      'busybox nc 127.0.0.1 1 </dev/null 2>&1',
      'busybox ifconfig lo up && busybox ifconfig lo | busybox grep -o -e "inet addr:[0-9.]*" -e "UP LOOPBACK RUNNING"',
      'busybox nc 127.0.0.1 1 </dev/null 2>&1',
      'busybox ifconfig lo down; busybox ifconfig lo | busybox grep -c UP',
      'echo done',
    ].join('\n');
    const native = spawnSync('unshare', ['-n', 'busybox', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(native.stdout).toContain('Network is unreachable');
    expect(native.stdout).toContain('inet addr:127.0.0.1\nUP LOOPBACK RUNNING\n');
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['unshare', '-n', 'sh', '-c', script], extraCaps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({ status: native.status, stdout: native.stdout, stderr: native.stderr });
    }
  });

  it('reaches no host path after a pivot, by .., /proc/self/root or a kept fd of the old root', () => {
    // The old root is kept open as fd 3 (its /proc/self/fd link), then detached; every way
    // up from the new root and from the old one ends inside the sandbox.
    const script = [
      'unshare -m sh -c \'',
      '  exec 3</',
      '  mount -t tmpfs t /mnt && mkdir /mnt/old /mnt/proc /mnt/bin && mount --bind /bin /mnt/bin || exit 1',
      '  cd /mnt && pivot_root . old || exit 1',
      '  mount -t proc proc /proc; cd /',
      '  echo "root: $(readlink /proc/self/root)"; ls /../../..',
      '  umount -l /old; ls /old',
      '  cd -P /proc/self/fd/3 && cd -P ../../../.. && ls -a | tr "\\n" " "; echo',
      '  find /proc/self/fd/3/ -name host-only-marker | wc -l',
      '  cat /proc/self/fd/3/../host-only-marker',
      '\'',
    ].join('\n');
    const inRootfs = spawnSync('ls', ['-a', rootfs], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).join(' ');
    const before = snapshotHost(rootfs);
    for (const { uid } of TSSC_USERS) {
      writeConfig(dir, { args: ['sh', '-c', script], extraCaps: ['CAP_SYS_ADMIN'] });
      expect(tsscRun(dir, [], runAs(dir, uid))).toEqual({
        status: 1,
        stdout: `root: /\nbin\nold\nproc\n${inRootfs} \n0\n`,
        stderr: "cat: can't open '/proc/self/fd/3/../host-only-marker': No such file or directory\n",
      });
    }
    expect(snapshotHost(rootfs)).toEqual(before);
  });
});

/** bubblewrap and what its sandbox runs, copied with their libraries from the host. */
const BWRAP_USERLAND = { programs: ['sh', 'bwrap', 'cat', 'hostname', 'ip', 'touch', 'grep', 'echo', 'mkdir', 'cut', 'tail', 'sed', 'sort', 'pwd', 'sleep', 'unshare', 'mount', 'findmnt'], trees: [] };

/**
 * A seccomp program for --seccomp: mkdir(2) and mkdirat(2) fail with EACCES, everything
 * else is allowed (BPF_LD|W|ABS nr; JEQ 83; JEQ 258; RET ALLOW; RET ERRNO|13), as printf
 * octal escapes.
 */
const MKDIR_DENIED = [
  [0x20, 0, 0, 0],
  [0x15, 2, 0, 83],
  [0x15, 1, 0, 258],
  [0x06, 0, 0, 0x7fff0000],
  [0x06, 0, 0, 0x0005000d],
]
  .map(([code, jt, jf, k]) => {
    const insn = Buffer.alloc(8);
    insn.writeUInt16LE(code!, 0);
    insn[2] = jt!;
    insn[3] = jf!;
    insn.writeUInt32LE(k!, 4);
    return insn;
  })
  .map((insn) => [...insn].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join(''))
  .join('');

/**
 * bwrap with the options a user combines, and what its sandbox sees: the hostname, the
 * cwd and environment it was given, a bound directory of the outer sandbox both ways, its
 * mounts (mount point and per-mount options: the spec's under --ro-bind / / read-only,
 * bwrap's own --dev, --proc and --tmpfs; the device files, which the reference binds from
 * the host, and /proc's subdirectories left out), lo alone and up in its network
 * namespace, a read-only / and a writable /tmp, no capabilities, its own session, the
 * seccomp filter, and --info-fd/--json-status-fd with their numbers normalised.
 */
const BWRAP_SCRIPT = [
  'mkdir -p /tmp/data && echo outside > /tmp/data/seen',
  `printf '${MKDIR_DENIED}' > /tmp/filter`,
  'bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --bind /tmp/data /tmp/data --unshare-ipc --unshare-uts --hostname inner --unshare-net \\',
  '  --chdir /tmp/data --setenv FOO bar --die-with-parent --cap-drop ALL --new-session --info-fd 3 --json-status-fd 5 --seccomp 4 \\',
  "  -- sh -c '",
  'hostname; pwd; echo \"FOO=$FOO\"; cat seen',
  'cut -d\" \" -f5,6 /proc/self/mountinfo | grep -v -e \"^/dev/[nzfrut]\" -e \"^/proc/\" | sort',
  'ip -o link | cut -d\" \" -f2,3; tail -n +3 /proc/net/dev | cut -d: -f1',
  'touch /tmp/x && echo \"tmp ok\"; touch /x; echo \"ro $?\"',
  'echo inside > /tmp/data/written',
  'grep -E \"^Cap(Eff|Prm)\" /proc/self/status',
  'mkdir /tmp/y; echo \"mkdir $?\"',
  '[ \"$(cut -d\" \" -f6 /proc/self/stat)\" = $$ ] && echo \"own session\"',
  "' 3>/tmp/info 4</tmp/filter 5>/tmp/status",
  'echo \"exit $?\"',
  'cat /tmp/data/written',
  'sed \"s/[0-9][0-9]*/N/g\" /tmp/info; echo; sed \"s/[0-9][0-9]*/N/g\" /tmp/status',
].join('\n');

describe.skipIf(!isRoot || !hasBwrap)('bubblewrap inside the sandbox', () => {
  const bundle = scratchDir('tssc-bwrap-');
  afterAll(() => removeDir(bundle));

  /** The script in the Debian bundle as sandbox root with CAP_SYS_ADMIN (mounts, pivot_root) and CAP_NET_ADMIN (lo up), as uid. */
  function inTssc(rootfs: string, script: string, uid: number | undefined) {
    writeDebianBundle(bundle, rootfs, ['/bin/sh', '-c', script], ROOT, ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN']);
    return tsscRun(bundle, ['--network=none'], runAs(bundle, uid));
  }

  it('builds the sandbox it builds natively as root', () => {
    const rootfs = debianRootfs(BWRAP_USERLAND);
    const native = runInChroot(rootfs, ['/bin/sh', '-c', BWRAP_SCRIPT]);
    expect(native.stdout).toContain('inner\n/tmp/data\nFOO=bar\noutside\n');
    expect(native.stdout).toContain('lo: <LOOPBACK,UP,LOWER_UP>\n');
    expect(native.stdout).toContain('mkdir 1\nown session\nexit 0\ninside\n');
    expect(native.stderr).toContain("mkdir: cannot create directory '/tmp/y': Permission denied\n");
    const before = snapshotHost(rootfs);
    for (const { uid } of TSSC_USERS) expect(inTssc(rootfs, BWRAP_SCRIPT, uid)).toEqual(native);
    expect(snapshotHost(rootfs)).toEqual(before);
  });

  it('brings lo up itself where `ip` finds a new network namespace\'s lo down', () => {
    const rootfs = debianRootfs(BWRAP_USERLAND);
    const script = [
      'bwrap --ro-bind / / --proc /proc --dev /dev --unshare-net -- sh -c \"ip -o link | cut -d\\\" \\\" -f2,3,9; ip -o addr | cut -d\\\" \\\" -f2,7\"',
      'bwrap --ro-bind / / --proc /proc --dev /dev --unshare-net --cap-add CAP_NET_ADMIN -- sh -c \"ip link set lo down; ip -o link | cut -d\\\" \\\" -f2,3,9; ip link set lo up; ip -o addr | cut -d\\\" \\\" -f2,7\"',
    ].join('\n');
    const native = runInChroot(rootfs, ['/bin/sh', '-c', script]);
    expect(native.stdout).toBe('lo: <LOOPBACK,UP,LOWER_UP> UNKNOWN\nlo 127.0.0.1/8\nlo ::1/128\nlo: <LOOPBACK> DOWN\nlo 127.0.0.1/8\nlo ::1/128\n');
    for (const { uid } of TSSC_USERS) expect(inTssc(rootfs, script, uid)).toEqual(native);
  });

  it('runs util-linux\'s unshare and mount with propagation flags as the host kernel does', () => {
    const rootfs = debianRootfs(BWRAP_USERLAND);
    const script = [
      'mkdir -p /tmp/m',
      'unshare -m --propagation private sh -c "',
      '  mount --make-rprivate / && echo rprivate ok',
      '  mount -t tmpfs x /tmp/m && mount --make-shared /tmp/m && findmnt -n -o TARGET,PROPAGATION /tmp/m',
      '  mount --make-slave /tmp/m; findmnt -n -o PROPAGATION /tmp/m',
      '  mount --make-rslave / && mount --make-unbindable /tmp/m; findmnt -n -o PROPAGATION /tmp/m"',
      'unshare -m --propagation slave findmnt -n -o PROPAGATION /',
      'unshare -m --propagation unchanged findmnt -n -o PROPAGATION /',
      'unshare -m sh -c "mount --bind /tmp/m /tmp/m && findmnt -n -o TARGET /tmp/m"; findmnt /tmp/m; echo "outside $?"',
    ].join('\n');
    const native = runInChroot(rootfs, ['/bin/sh', '-c', script]);
    expect(native.stdout).toBe('rprivate ok\n/tmp/m shared\nprivate\nprivate,unbindable\nprivate\nprivate\n/tmp/m\noutside 1\n');
    for (const { uid } of TSSC_USERS) expect(inTssc(rootfs, script, uid)).toEqual(native);
  });

  it('runs the command in a pid namespace of its own with --unshare-pid', () => {
    const rootfs = debianRootfs(BWRAP_USERLAND);
    // bwrap stays as the namespace's init (pid 1), the command is pid 2, what it starts next; /proc shows them alone.
    const script = 'bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid -- sh -c \'echo "$$"; cat /proc/1/comm; cut -d" " -f1,4 /proc/self/stat; echo /proc/[0-9]*\'; echo "exit $?"';
    const native = runInChroot(rootfs, ['/bin/sh', '-c', script]);
    expect(native.stdout).toBe('2\nbwrap\n4 2\n/proc/1 /proc/2\nexit 0\n');
    for (const { uid } of TSSC_USERS) expect(inTssc(rootfs, script, uid)).toEqual(native);
  });

  it('is refused without CAP_SYS_ADMIN, as in a container without it', () => {
    const rootfs = debianRootfs(BWRAP_USERLAND);
    writeDebianBundle(bundle, rootfs, ['bwrap', '--ro-bind', '/', '/', 'sh', '-c', 'echo inside'], ROOT, []);
    const run = tsscRun(bundle, ['--network=none']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^bwrap: .*(Operation not permitted|No permissions)/);
  });
});
