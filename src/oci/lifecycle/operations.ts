// The lifecycle commands after create, each a request to the container's sentry over its
// control socket with the record kept in step: start, kill, ps, state, stats, update,
// exec, delete. Errors read as runc's do where containerd and podman match on the words
// ("does not exist", "container not running").

import { SIG } from '../../abi/linux-signal.js';
import { TsscError } from '../errors.js';
import { callSentry, SentryUnreachableError } from '../control/client.js';
import { startExec, type StartedExec } from '../control/exec-client.js';
import type { ContainerStats, ControlRequest, ExecRequest, SentryState } from '../control/protocol.js';
import type { LinuxResources } from '../spec.js';
import { hasProcess } from '../state/lifecycle.js';
import { ContainerNotFoundError } from '../state/not-found.js';
import { toOciState, type ContainerRecord, type OciState } from '../state/record.js';
import type { ContainerStore } from '../state/store.js';
import { runHooks, runHooksLogged } from './hooks.js';

/** How long a sentry may take to answer before it counts as stuck. */
export const SENTRY_TIMEOUT_MS = 5_000;
/** `state` asks the sentry only briefly, then trusts the record (podman polls it). */
const STATE_TIMEOUT_MS = 1_000;

/** Signals the sentry's signal proxy forwards to init when they are sent to its process. */
const PROXIED = new Set([1, 2, 3, 10, 12, 15, 28]);

export class ContainerOperations {
  constructor(
    private readonly store: ContainerStore,
    /** Where warnings go (failed poststart/poststop hooks, an escalated kill). */
    private readonly warn: (message: string) => void,
  ) {}

  private ask(id: string, request: ControlRequest, timeoutMs = SENTRY_TIMEOUT_MS): Promise<unknown> {
    return callSentry(this.store.files(id).socket, request, timeoutMs);
  }

  /** ask() of a container that must be running: a sentry found gone means it stopped. */
  private async askRunning(id: string, request: ControlRequest): Promise<unknown> {
    this.requireRunning(this.store.read(id));
    try {
      return await this.ask(id, request);
    } catch (error) {
      if (error instanceof SentryUnreachableError && !error.timedOut && !this.sentryAlive(id)) throw new TsscError('container not running');
      throw error;
    }
  }

  async start(id: string): Promise<void> {
    const record = await this.store.withLock(id, async () => {
      const current = this.store.read(id);
      if (current.status === 'stopped') throw new TsscError('cannot start a container that has stopped');
      if (current.status !== 'created') throw new TsscError(`cannot start an already ${current.status} container`);
      try {
        runHooks(current.hooks, 'startContainer', toOciState(current));
      } catch (error) {
        // The runtime spec: a failed startContainer hook stops the container.
        await this.store.removeLocked(id, { force: true });
        throw error;
      }
      await this.ask(id, { op: 'start' });
      return this.store.updateLocked(id, { status: 'running' });
    });
    for (const failure of runHooksLogged(record.hooks, 'poststart', toOciState(record))) this.warn(failure);
  }

  /**
   * Delivers sig inside the sandbox: to init, or with `all` to every process. A sentry
   * that does not answer gets the signal itself, if its proxy forwards it (a stuck sentry
   * dies of SIGTERM through its watchdog), or SIG.KILL for SIG.KILL: its death ends every
   * task of the sandbox.
   */
  async kill(id: string, sig: number, all: boolean): Promise<void> {
    const record = this.store.read(id);
    if (!hasProcess(record.status)) {
      if (all) return;
      throw new TsscError('container not running');
    }
    try {
      await this.ask(id, { op: 'kill', signal: sig, all });
    } catch (error) {
      if (all && error instanceof TsscError && error.message === 'container not running') return;
      if (!(error instanceof SentryUnreachableError)) throw error;
      if (!this.sentryAlive(id)) {
        if (all) return;
        throw new TsscError('container not running');
      }
      if (sig !== SIG.KILL && !PROXIED.has(sig)) throw error;
      this.warn(`${error.message}: sending signal ${sig} to the sentry, pid ${record.pid}`);
      process.kill(record.pid, sig);
    }
  }

  /** The host pids of the container's processes (none once it stopped). */
  async ps(id: string): Promise<number[]> {
    try {
      return (await this.askRunning(id, { op: 'ps' })) as number[];
    } catch (error) {
      if (error instanceof TsscError && error.message === 'container not running') return [];
      throw error;
    }
  }

  /** The OCI state, with the sentry's word on whether init is still there. */
  async state(id: string): Promise<OciState> {
    const record = this.store.read(id);
    if (hasProcess(record.status) && record.status !== 'paused') {
      try {
        const live = (await this.ask(id, { op: 'state' }, STATE_TIMEOUT_MS)) as SentryState;
        if (live.status === 'stopped') record.status = 'stopped';
      } catch (error) {
        if (!(error instanceof SentryUnreachableError)) throw error;
      }
    }
    return toOciState(record);
  }

  async stats(id: string): Promise<ContainerStats> {
    return (await this.askRunning(id, { op: 'stats' })) as ContainerStats;
  }

  async update(id: string, resources: LinuxResources): Promise<void> {
    await this.askRunning(id, { op: 'update', resources });
  }

  /** pause or resume: every task of the sandbox frozen or thawed, the record kept in step. */
  async freeze(id: string, op: 'pause' | 'resume'): Promise<void> {
    await this.store.withLock(id, async () => {
      const record = this.store.read(id);
      const from = op === 'pause' ? 'running' : 'paused';
      if (record.status !== from) throw new TsscError(`container ${id} is ${record.status}, not ${from}`);
      await this.askRunning(id, { op });
      this.store.updateLocked(id, { status: op === 'pause' ? 'paused' : 'running' });
    });
  }

  /**
   * A new process in the running container (see ExecRequest), with stdio (the caller's
   * fds) as its stdin, stdout and stderr; returns once it runs (startExec).
   */
  exec(id: string, request: ExecRequest, stdio: readonly number[]): StartedExec {
    const record = this.store.read(id);
    if (!hasProcess(record.status)) throw new TsscError('cannot exec in a stopped container');
    if (record.status === 'paused') throw new TsscError('cannot exec in a paused container');
    if (record.status !== 'running') throw new TsscError(`cannot exec in a ${record.status} container: start it first`);
    try {
      return startExec(this.store.files(id).socket, request, stdio, SENTRY_TIMEOUT_MS);
    } catch (error) {
      // Its socket gone (or refusing): the sentry has ended, or is ending with its init.
      if (error instanceof SentryUnreachableError && !error.timedOut) throw new TsscError('cannot exec in a stopped container');
      throw error;
    }
  }

  /** Forgets the container (killing a live one: always when created, with `force` when running). */
  async delete(id: string, force: boolean): Promise<void> {
    let record: ContainerRecord;
    try {
      record = await this.store.remove(id, { force });
    } catch (error) {
      // As runc: a forced delete of a container that is already gone succeeds.
      if (force && error instanceof ContainerNotFoundError) return;
      throw error;
    }
    const state: OciState = { ...toOciState(record), status: 'stopped', pid: 0 };
    for (const failure of runHooksLogged(record.hooks, 'poststop', state)) this.warn(failure);
  }

  private requireRunning(record: ContainerRecord): void {
    if (!hasProcess(record.status)) throw new TsscError('container not running');
  }

  private sentryAlive(id: string): boolean {
    return hasProcess(this.store.read(id).status);
  }
}
