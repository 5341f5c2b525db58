// A sandbox composed from a loaded bundle: the VFS of its root and mounts, the init
// process from the spec's process, and the sentry that runs it: the ptrace Sandbox with
// the x86-64 table for Linux programs, the WasmSandbox with WASI preview1 for a wasm
// module (detected as runwasi and crun do: the magic, or the wasm annotations).

import { isatty } from 'node:tty';
import { TsscError } from '../errors.js';
import { MemoryAccount } from '../../accounting/memory-account.js';
import { compileSeccompProfile } from '../seccomp-profile.js';
import { capsFromNames, fsCredentials, makeCredentials, type IdentitySpec } from '../../sentry/kernel/credentials.js';
import { SentryProviders } from '../../sentry/kernel/providers.js';
import { RlimitTable } from '../../sentry/kernel/rlimits.js';
import { Sandbox, type NewProcess, type SyscallObserver } from '../../sentry/kernel/sandbox.js';
import type { StartGate } from '../../sentry/kernel/start-gate.js';
import { WasmSandbox } from '../../sentry/wasm/sandbox.js';
import { IpcNamespace } from '../../sentry/kernel/ipc/namespace.js';
import { readWasmProgram } from '../../sentry/wasm/program.js';
import { wasiPreview1Table } from '../../syscalls/wasi/table.js';
import { linuxX86_64Table } from '../../syscalls/linux/table.js';
import { O } from '../../abi/linux-fcntl.js';
import { SIG } from '../../abi/linux-signal.js';
import { attachControllingTerminal, hostTerminalIndexOf, hostTerminalOf, openHostStdio } from '../../sentry/kernel/files/host-file.js';
import type { JobControlTerminal } from '../../sentry/kernel/files/host-file-termios.js';
import { openFifo } from '../../sentry/kernel/files/pipe.js';
import { byteString, createVfs, Registry, type FileDescription, type FsContext, type Vfs } from '../../vfs/index.js';
import { registerSyntheticFilesystems } from '../../vfs/synthetic/index.js';
import type { PtyTable } from '../../vfs/devpts/table.js';
import type { Bundle } from '../bundle.js';
import type { Process } from '../spec.js';
import { findProgram, homeOf, readSandboxFile, withHome } from './process-env.js';
import { openPreservedFds } from './preserved-fds.js';
import { TerminalRelay } from './terminal-relay.js';
import { createNetworkStack, NamespaceError, PublishError } from '../../netstack/index.js';
import { nameserversOf, networkConfigOf, type NetworkRequest } from '../network.js';

export interface LinuxSandboxOptions {
  /** tssc's own host fds the workload gets as its fds 0, 1, 2 (stdin read-only). */
  stdioFds: readonly number[];
  /** tssc's own host fds the workload gets as its fds 3, 4, ... (--preserve-fds). */
  preservedFds?: readonly number[];
  observer?: SyscallObserver;
  /** 'none' writes through to the host rootfs (runsc --overlay=none). */
  overlay?: 'memory' | 'none';
  /** Told of a wasm module's trap (the reason), for the user. */
  onTrap?: (pid: number, reason: string) => void;
  /** Told of each internal error of the sentry (stderr always is). */
  onInternalError?: (message: string) => void;
  /** Holds the init before its program runs until the gate opens (OCI create/start). */
  startGate?: StartGate;
  /** --network and -p as given (the spec decides what they leave out). */
  network?: NetworkRequest;
}

/** Either sentry, as the lifecycle drives it. */
export type AnySandbox = Sandbox | WasmSandbox;

/** The init's pid, session and process group. */
const INIT_PID = 1;

/**
 * The controlling terminal of the sandbox's session, when process.terminal asks for one
 * and stdin is a host tty: typed ^C, ^\\ and ^Z go to its foreground process group.
 */
export function controllingTerminalOf(sandbox: AnySandbox): JobControlTerminal | undefined {
  return sandboxTerminals.get(sandbox);
}

const sandboxTerminals = new WeakMap<AnySandbox, JobControlTerminal>();

/** The sandbox's pseudo-terminals, where an exec's host terminal takes its /dev/pts/N. */
export function ptysOf(sandbox: AnySandbox): PtyTable | undefined {
  return sandboxPtys.get(sandbox);
}

const sandboxPtys = new WeakMap<AnySandbox, PtyTable>();

/** The copy between tssc's stdio and the init's pty, when process.terminal met a stdin that is none. */
export function terminalRelayOf(sandbox: AnySandbox): TerminalRelay | undefined {
  return sandboxRelays.get(sandbox);
}

const sandboxRelays = new WeakMap<AnySandbox, TerminalRelay>();

const WASM_ANNOTATIONS: Record<string, string> = { 'module.wasm.image/variant': 'compat', 'run.oci.handler': 'wasm' };

function isWasmInit(bundle: Bundle, isWasmFile: () => boolean): boolean {
  const annotations = bundle.spec.annotations ?? {};
  if (Object.entries(WASM_ANNOTATIONS).some(([key, value]) => annotations[key] === value)) return true;
  try {
    return isWasmFile();
  } catch {
    // Not found or not executable: the Linux path reports it as execve would.
    return false;
  }
}

const DEFAULT_UMASK = 0o022;

function identityOf(process: Process): IdentitySpec {
  const { user, capabilities, noNewPrivileges } = process;
  return {
    uid: user.uid,
    gid: user.gid,
    groups: user.additionalGids ?? [],
    effective: capsFromNames(capabilities?.effective),
    permitted: capsFromNames(capabilities?.permitted),
    inheritable: capsFromNames(capabilities?.inheritable),
    bounding: capsFromNames(capabilities?.bounding),
    ambient: capsFromNames(capabilities?.ambient),
    noNewPrivs: noNewPrivileges === true,
  };
}

/** A filesystem context of the sandbox's root with identity's credentials. */
function rootContext(vfs: Vfs, identity: IdentitySpec): FsContext {
  return { root: vfs.root, cwd: vfs.root, umask: DEFAULT_UMASK, creds: fsCredentials(makeCredentials(identity)) };
}

/**
 * An OCI process (the container's, or one exec adds) as the sandbox starts it, as runc
 * prepares one: args[0] looked up in its PATH inside the sandbox, HOME from the sandbox's
 * /etc/passwd when its env sets none, the UTF-8 bytes of its strings. openStdio is called
 * last, once nothing else can fail, with the process's view of the root.
 */
export function newProcessOf(vfs: Vfs, process: Process & { args: readonly string[] }, openStdio: (ctx: FsContext) => FileDescription[]): NewProcess {
  const identity = identityOf(process);
  const ctx = rootContext(vfs, identity);
  const envp = withHome((process.env ?? []).map(byteString), () => homeOf(vfs, ctx, identity.uid));
  const args = process.args.map(byteString);
  const program = findProgram(vfs, ctx, args[0] ?? '', envp);
  if (program === undefined) throw new TsscError(`${process.args[0]}: executable file not found in $PATH`);
  return {
    program,
    argv: args,
    envp,
    cwd: byteString(process.cwd),
    identity,
    umask: process.user.umask ?? DEFAULT_UMASK,
    rlimits: RlimitTable.fromSpec(process.rlimits),
    stdio: openStdio(ctx),
  };
}

/** The sandbox's network stack: none, its own with a way out, or the host's (src/oci/network.ts); its sockets charge memory. */
function networkOf(bundle: Bundle, request: NetworkRequest | undefined, resolvConf: string, memory: MemoryAccount) {
  try {
    return createNetworkStack({ ...networkConfigOf(bundle.spec, request, nameserversOf(resolvConf)), memory: memory.sockets });
  } catch (e) {
    if (e instanceof NamespaceError || e instanceof PublishError) throw new TsscError(e.message);
    throw e;
  }
}

export function createSandbox(bundle: Bundle, options: LinuxSandboxOptions): AnySandbox {
  const spec = bundle.spec;
  const hostname = spec.hostname ?? '';
  const domainname = spec.domainname ?? '';
  const providers = new SentryProviders(hostname, domainname);
  const memoryLimit = spec.linux?.resources?.memory?.limit;
  // One account for everything the sandbox's memory limit covers.
  const memory = new MemoryAccount(memoryLimit && memoryLimit > 0 ? memoryLimit : Infinity);
  const registry = new Registry();
  // runc reads 0 and -1 as no limit.
  const specPids = spec.linux?.resources?.pids?.limit ?? 0;
  const pidsLimit = specPids > 0 ? specPids : undefined;
  const synthetic = registerSyntheticFilesystems(registry, { providers, jobControl: providers, memory, ...(pidsLimit ? { pidsLimit } : {}) });
  registry.setFifo((node, flags, ctx) => openFifo(node, flags, ctx, memory.buffers));
  const vfs = createVfs({
    spec,
    bundleDir: bundle.dir,
    registry,
    providers,
    account: memory,
    ...(options.overlay ? { overlay: options.overlay } : {}),
  });
  const ctx = rootContext(vfs, identityOf(spec.process));
  const { ptys } = synthetic;
  const stdinFd = options.stdioFds[0];
  let relay: TerminalRelay | undefined;
  const openStdio = (processCtx: FsContext): FileDescription[] => {
    if (spec.process.terminal && stdinFd !== undefined && !isatty(stdinFd)) {
      const relayed = TerminalRelay.open(vfs, processCtx, ptys, options.stdioFds, false);
      relay = relayed.relay;
      return relayed.stdio;
    }
    return options.stdioFds.map((fd, i) => openHostStdio(vfs, processCtx, fd, i === 0 ? O.RDONLY : O.WRONLY, { ptys }));
  };
  const init = newProcessOf(vfs, spec.process, (processCtx) => [
    ...openStdio(processCtx),
    ...openPreservedFds(vfs, processCtx, options.preservedFds ?? [], { ptys }),
  ]);
  const { program, argv: args, envp } = init;
  const ipc = new IpcNamespace(synthetic);
  const net = networkOf(bundle, options.network, readSandboxFile(vfs, ctx, '/etc/resolv.conf') ?? '', memory);
  const sandbox = isWasmInit(bundle, () => readWasmProgram(vfs, ctx, undefined, program, args, envp, 'bundle') !== undefined)
    ? new WasmSandbox({
        table: wasiPreview1Table,
        vfs,
        ipc,
        net,
        hostname,
        domainname,
        init,
        memory,
        ...(memoryLimit ? { memoryLimitBytes: memoryLimit } : {}),
        ...(options.onTrap ? { onTrap: options.onTrap } : {}),
        ...(options.startGate ? { startGate: options.startGate } : {}),
      })
    : new Sandbox({
        table: linuxX86_64Table,
        vfs,
        ipc,
        net,
        hostname,
        domainname,
        init,
        memory,
        onSessionEnd: (sid) => synthetic.ptys.hangupSession(sid),
        ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
        ...(options.observer ? { observer: options.observer } : {}),
        ...(pidsLimit ? { maxTasks: pidsLimit } : {}),
        ...(spec.linux?.seccomp ? { seccompProfile: compileSeccompProfile(spec.linux.seccomp) } : {}),
        ...(options.startGate ? { startGate: options.startGate } : {}),
        wasm: {
          table: wasiPreview1Table,
          ...(memoryLimit ? { memoryLimitBytes: memoryLimit } : {}),
          ...(options.onTrap ? { onTrap: options.onTrap } : {}),
        },
      });
  providers.attach(sandbox);
  sandboxPtys.set(sandbox, ptys);
  const stdin = init.stdio[0];
  if (relay) {
    ptys.showConsole(relay.pty.index);
    relay.start(INIT_PID);
    sandboxRelays.set(sandbox, relay);
  } else if (spec.process.terminal && stdin) {
    const terminal = controlTerminal(sandbox, stdin, INIT_PID);
    if (terminal) sandboxTerminals.set(sandbox, terminal);
    // runc binds the container's terminal at /dev/console.
    const index = hostTerminalIndexOf(stdin);
    if (index !== undefined) ptys.showConsole(index);
  }
  return sandbox;
}

/**
 * stdin's host tty (if it is one) becomes the controlling terminal of session sid, whose
 * foreground group is sid's: tcgetpgrp/tcsetpgrp work, and what the terminal raises (a
 * typed ^C, ^\\ or ^Z) goes to every process of its foreground group as the tty driver
 * sends it, a shell's init spared the signals it has no handler for.
 */
export function controlTerminal(sandbox: AnySandbox, stdin: FileDescription, sid: number): JobControlTerminal | undefined {
  if (!attachControllingTerminal(stdin, sid, sid)) return undefined;
  const terminal = hostTerminalOf(stdin)!;
  terminal.signalForeground = (sig) => {
    for (const group of sandbox.groups()) {
      if (group.pgid === terminal.foreground) sandbox.signalProcess(group, sig, false);
    }
  };
  if (sandbox instanceof Sandbox) terminal.checkAccess = (kind) => sandbox.checkTerminalAccess(terminal, kind);
  return terminal;
}

/**
 * A signal terminal raised by itself (a typed ^C, ^\\ or ^Z, a resize, a hangup), sent on
 * as the tty driver sends it: to its foreground process group; a hangup to its session's
 * leader (SIGHUP and SIGCONT), which it stops controlling, as tty_signal_session_leader
 * does. False when the terminal controls no session (nobody to send it to).
 */
export function raiseFromTerminal(sandbox: AnySandbox, terminal: JobControlTerminal, sig: number): boolean {
  if (sig === SIG.HUP) {
    const session = terminal.session;
    if (session === undefined) return false;
    terminal.session = undefined;
    terminal.foreground = undefined;
    for (const group of sandbox.groups()) {
      if (group.pgid !== session) continue;
      sandbox.signalProcess(group, SIG.HUP, false);
      sandbox.signalProcess(group, SIG.CONT, false);
    }
    return true;
  }
  if (terminal.foreground === undefined || !terminal.signalForeground) return false;
  terminal.signalForeground(sig);
  return true;
}
