// What a container's sentry answers on its control channel, over its sandbox: start (the
// start gate opens), signals delivered inside the sandbox, the host pids of its processes,
// its state and resource use, resource updates, and new processes (exec).

import { readHostStat } from '../../sentry/kernel/cpu-times.js';
import { Sandbox } from '../../sentry/kernel/sandbox.js';
import type { StartGate } from '../../sentry/kernel/start-gate.js';
import type { ControlRequest, ContainerStats, SentryState } from '../control/protocol.js';
import type { ReceivedFds } from '../control/server.js';
import type { LinuxResources } from '../spec.js';
import type { AnySandbox } from './linux-sandbox.js';
import { execInSandbox } from './sandbox-exec.js';

/** USER_HZ: /proc's clock ticks. */
const TICKS_PER_SECOND = 100;
const PAGE_SIZE = 4096;

export class SandboxControl {
  constructor(
    private readonly sandbox: AnySandbox,
    private readonly gate: StartGate,
  ) {}

  handle(request: ControlRequest, fds: ReceivedFds): unknown {
    switch (request.op) {
      case 'start':
        return this.start();
      case 'kill':
        return this.kill(request.signal, request.all);
      case 'ps':
        return this.hostPids();
      case 'state':
        return this.state();
      case 'stats':
        return this.stats();
      case 'update':
        return this.update(request.resources);
      case 'pause':
        return this.pause();
      case 'resume':
        return this.resume();
      case 'exec':
        return execInSandbox(this.sandbox, this.gate, request, fds);
    }
  }

  private live(): boolean {
    const init = this.sandbox.initGroup;
    return init !== undefined && !init.zombie;
  }

  private start(): void {
    if (!this.live()) throw new Error('cannot start a container that has stopped');
    if (this.gate.isOpen) throw new Error('cannot start an already running container');
    this.gate.open();
  }

  private kill(sig: number, all: boolean): void {
    const init = this.sandbox.initGroup;
    if (!init || init.zombie) throw new Error('container not running');
    for (const group of all ? this.sandbox.groups() : [init]) this.sandbox.signalProcess(group, sig, true);
  }

  /**
   * Every task held stopped until resume, as a cgroup freezer holds them: signals wait
   * for the resume, SIGKILL still ends them. A wasm module runs in the sentry's own
   * threads, between system calls the sentry cannot stop it: such a sandbox is refused.
   */
  private async pause(): Promise<void> {
    const sandbox = this.linuxSandbox('pause');
    if (!this.live()) throw new Error('container not running');
    await sandbox.freezer.pauseAll();
  }

  private resume(): void {
    this.linuxSandbox('resume').freezer.resumeAll();
  }

  private linuxSandbox(op: string): Sandbox {
    const sandbox = this.sandbox;
    if (!(sandbox instanceof Sandbox) || sandbox.procs.wasmTasks().length > 0) {
      throw new Error(`cannot ${op} a container running a wasm module: it runs in the sentry's own threads, which tssc does not freeze`);
    }
    return sandbox;
  }

  /** The host pids of the sandbox's processes; a wasm module runs in the sentry itself. */
  private hostPids(): number[] {
    const pids = this.sandbox.groups().filter((g) => !g.zombie).map((g) => (g.hostPid > 0 ? g.hostPid : process.pid));
    return [...new Set(pids)];
  }

  private state(): SentryState {
    if (!this.live()) return { status: 'stopped' };
    return { status: this.gate.isOpen ? 'running' : 'created' };
  }

  /** CPU time and memory of the workload's processes and of the sentry working for them. */
  private stats(): ContainerStats {
    let userTicks = 0;
    let kernelTicks = 0;
    let rssBytes = process.memoryUsage.rss();
    for (const pid of this.hostPids()) {
      if (pid === process.pid) continue;
      const stat = readHostStat(pid);
      if (!stat) continue;
      userTicks += stat.utimeTicks;
      kernelTicks += stat.stimeTicks;
      rssBytes += stat.rssPages * PAGE_SIZE;
    }
    const own = process.cpuUsage();
    const user = (userTicks / TICKS_PER_SECOND) * 1e9 + own.user * 1e3;
    const kernel = (kernelTicks / TICKS_PER_SECOND) * 1e9 + own.system * 1e3;
    const limit = this.sandbox instanceof Sandbox ? this.sandbox.maxTasks : undefined;
    return {
      cpu: { usage: { total: Math.round(user + kernel), kernel: Math.round(kernel), user: Math.round(user) } },
      memory: { usage: { usage: rssBytes } },
      pids: { current: this.sandbox.groups().reduce((n, g) => n + (g.zombie ? 0 : Math.max(g.tasks.size, 1)), 0), ...(limit !== undefined && { limit }) },
    };
  }

  /** linux.resources changes: the pids limit is the sentry's own; nothing else is honoured yet. */
  private update(resources: LinuxResources): void {
    const refused = Object.entries(resources)
      .filter(([key, value]) => key !== 'pids' && value !== undefined && value !== null)
      .map(([key]) => key);
    if (refused.length > 0) {
      throw new Error(`cannot update ${refused.map((key) => `linux.resources.${key}`).join(', ')}: tssc honours only pids.limit on a running container`);
    }
    const limit = resources.pids?.limit;
    if (limit === undefined) return;
    if (!(this.sandbox instanceof Sandbox)) throw new Error('a wasm container has one process: pids.limit does not apply');
    this.sandbox.setMaxTasks(limit > 0 ? limit : undefined);
  }
}
