// A sandbox for a Linux workload, composed from a loaded bundle: the VFS of its root and
// mounts, the sentry with the x86-64 table, the init process from the spec's process.

import { TsscError } from '../errors.js';
import { capsFromNames, fsCredentials, makeCredentials, type IdentitySpec } from '../../sentry/credentials.js';
import { SentryProviders } from '../../sentry/providers.js';
import { RlimitTable } from '../../sentry/rlimits.js';
import { Sandbox, type SyscallObserver } from '../../sentry/sandbox.js';
import { linuxX86_64Table } from '../../syscalls/linux/table.js';
import { O } from '../../abi/linux-fcntl.js';
import { openHostStdio } from '../../sentry/host-file.js';
import { createVfs, Registry, type FsContext } from '../../vfs/index.js';
import { registerSyntheticFilesystems } from '../../vfs/synthetic/index.js';
import type { Bundle } from '../bundle.js';
import { findProgram, homeOf, withHome } from './process-env.js';

export interface LinuxSandboxOptions {
  /** tssc's own host fds the workload gets as its fds 0, 1, 2 (stdin read-only). */
  stdioFds: readonly number[];
  observer?: SyscallObserver;
  /** 'none' writes through to the host rootfs (runsc --overlay=none). */
  overlay?: 'memory' | 'none';
}

const DEFAULT_UMASK = 0o022;

function identityOf(bundle: Bundle): IdentitySpec {
  const { user, capabilities } = bundle.spec.process;
  return {
    uid: user.uid,
    gid: user.gid,
    groups: user.additionalGids ?? [],
    effective: capsFromNames(capabilities?.effective),
    permitted: capsFromNames(capabilities?.permitted),
    inheritable: capsFromNames(capabilities?.inheritable),
    bounding: capsFromNames(capabilities?.bounding),
  };
}

export function createLinuxSandbox(bundle: Bundle, options: LinuxSandboxOptions): Sandbox {
  const spec = bundle.spec;
  const hostname = spec.hostname ?? '';
  const domainname = spec.domainname ?? '';
  const providers = new SentryProviders(hostname, domainname);
  const registry = new Registry();
  registerSyntheticFilesystems(registry, { providers, jobControl: providers });
  const vfs = createVfs({
    spec,
    bundleDir: bundle.dir,
    registry,
    providers,
    ...(options.overlay ? { overlay: options.overlay } : {}),
  });
  const identity = identityOf(bundle);
  const ctx: FsContext = { root: vfs.root, cwd: vfs.root, umask: DEFAULT_UMASK, creds: fsCredentials(makeCredentials(identity)) };
  const envp = withHome(spec.process.env ?? [], () => homeOf(vfs, ctx, identity.uid));
  const args = spec.process.args;
  const program = findProgram(vfs, ctx, args[0] ?? '', envp);
  if (program === undefined) throw new TsscError(`${args[0]}: executable file not found in $PATH`);
  const sandbox = new Sandbox({
    table: linuxX86_64Table,
    vfs,
    hostname,
    domainname,
    init: {
      program,
      argv: args,
      envp,
      cwd: spec.process.cwd,
      identity,
      umask: spec.process.user.umask ?? DEFAULT_UMASK,
      rlimits: RlimitTable.fromSpec(spec.process.rlimits),
      stdio: options.stdioFds.map((fd, i) => openHostStdio(vfs, ctx, fd, i === 0 ? O.RDONLY : O.WRONLY)),
    },
    ...(options.observer ? { observer: options.observer } : {}),
    ...(spec.linux?.resources?.pids?.limit ? { maxTasks: spec.linux.resources.pids.limit } : {}),
  });
  providers.attach(sandbox);
  return sandbox;
}
