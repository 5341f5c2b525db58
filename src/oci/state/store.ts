// The container records of one state root: ROOT/ID.tssc-state, one lock per ID
// (ROOT/ID.tssc-lock), and the sentry's control socket (ROOT/ID.tssc-sock); see
// state-files.ts for why they are files, never directories. Every change happens under
// the lock and lands with an atomic rename, so concurrent tssc processes never see or
// leave a torn record. Reads take no lock.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Hooks } from '../spec.js';
import { TsscError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { assertMove, hasProcess, type ContainerStatus } from './lifecycle.js';
import { acquireLock } from './lock.js';
import { ContainerNotFoundError } from './not-found.js';
import { ownerName } from './owner-name.js';
import { identify, isAlive } from './process-identity.js';
import { OCI_STATE_VERSION, toOciState, type ContainerRecord, type OciState } from './record.js';
import { recordId, stateFiles, type StateFiles } from './state-files.js';

export interface NewContainer {
  id: string;
  bundle: string;
  rootfs: string;
  annotations?: Record<string, string>;
  hooks?: Hooks;
  /** 'creating' unless the caller already has a process to record. */
  status?: ContainerStatus;
  pid?: number;
}

export interface StatusChange {
  status: ContainerStatus;
  /** A new host pid for the container; its start time is recorded with it. */
  pid?: number;
}

export class ContainerStore {
  /** Absolute state root, already prepared (see prepareStateRoot). */
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The container's files in the state root (record, lock, control socket). */
  files(id: string): StateFiles {
    return stateFiles(this.root, id);
  }

  /** Runs `action` while holding the container's lock. */
  async withLock<T>(id: string, action: () => T | Promise<T>): Promise<T> {
    const lock = await acquireLock(this.files(id).lock, `container ${id}`);
    try {
      return await action();
    } finally {
      lock.release();
    }
  }

  async create(spec: NewContainer): Promise<ContainerRecord> {
    return this.withLock(spec.id, () => {
      if (existsSync(this.files(spec.id).record)) {
        throw new TsscError(`container with id ${spec.id} already exists`);
      }
      const pid = spec.pid ?? 0;
      const record: ContainerRecord = {
        ociVersion: OCI_STATE_VERSION,
        id: spec.id,
        status: spec.status ?? 'creating',
        pid,
        bundle: spec.bundle,
        rootfs: spec.rootfs,
        created: new Date().toISOString(),
        owner: ownerName(process.geteuid?.() ?? 0),
        annotations: { ...(spec.annotations ?? {}) },
        ...(spec.hooks !== undefined && { hooks: spec.hooks }),
      };
      withPidIdentity(record, pid);
      this.write(record);
      return record;
    });
  }

  /** Moves the container to a new status; refuses moves the lifecycle forbids. */
  async update(id: string, change: StatusChange): Promise<ContainerRecord> {
    return this.withLock(id, () => this.updateLocked(id, change));
  }

  /** update() for a caller that already holds the container's lock. */
  updateLocked(id: string, change: StatusChange): ContainerRecord {
    const record = this.readLive(id);
    if (record.status !== change.status) assertMove(id, record.status, change.status);
    record.status = change.status;
    if (change.pid !== undefined) withPidIdentity(record, change.pid);
    this.write(record);
    return record;
  }

  /** The record with its live status: a container whose sentry died is stopped. */
  read(id: string): ContainerRecord {
    return this.readLive(id);
  }

  state(id: string): OciState {
    return toOciState(this.read(id));
  }

  /** Every container of the root, sorted by id; records being created or removed are skipped. */
  list(): ContainerRecord[] {
    const records: ContainerRecord[] = [];
    const ids = readdirSync(this.root)
      .map(recordId)
      .filter((id): id is string => id !== undefined)
      .sort();
    for (const id of ids) {
      try {
        records.push(this.readLive(id));
      } catch (error) {
        if (!(error instanceof TsscError)) throw error;
      }
    }
    return records;
  }

  /**
   * Forgets a container: a stopped or created one, or with `force` any, killing its
   * sentry first (its death ends every task of the sandbox). Returns the record as it was.
   */
  async remove(id: string, options: { force?: boolean } = {}): Promise<ContainerRecord> {
    return this.withLock(id, () => this.removeLocked(id, options));
  }

  /** remove() for a caller that already holds the container's lock. */
  async removeLocked(id: string, options: { force?: boolean } = {}): Promise<ContainerRecord> {
    const record = this.readLive(id);
    // As runc: a created container (never started) goes without --force; a running one needs it.
    if (record.status !== 'stopped') {
      if (record.status !== 'created' && options.force !== true) {
        throw new TsscError(`cannot delete container ${id} that is not stopped: ${record.status}`);
      }
      await killAndWait(record);
    }
    const files = this.files(id);
    rmSync(files.socket, { force: true });
    rmSync(files.record, { force: true });
    return record;
  }

  private readLive(id: string): ContainerRecord {
    const file = this.files(id).record;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new ContainerNotFoundError(id);
      throw error;
    }
    let record: ContainerRecord;
    try {
      record = JSON.parse(text) as ContainerRecord;
    } catch (error) {
      throw new TsscError(`container ${id}: unreadable state file ${file}: ${(error as Error).message}`);
    }
    if (hasProcess(record.status) && !isAlive(pidIdentity(record))) record.status = 'stopped';
    return record;
  }

  private write(record: ContainerRecord): void {
    writeFileAtomic(this.files(record.id).record, JSON.stringify(record) + '\n');
  }
}

function withPidIdentity(record: ContainerRecord, pid: number): void {
  record.pid = pid;
  delete record.pidStartTime;
  if (pid > 0) {
    const startTime = identify(pid).startTime;
    if (startTime !== undefined) record.pidStartTime = startTime;
  }
}

/** The record's process, named for good (pid and start time). */
export function pidIdentity(record: ContainerRecord): { pid: number; startTime?: string } {
  return record.pidStartTime === undefined ? { pid: record.pid } : { pid: record.pid, startTime: record.pidStartTime };
}

async function killAndWait(record: ContainerRecord): Promise<void> {
  const identity = pidIdentity(record);
  if (!isAlive(identity)) return;
  try {
    process.kill(record.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  for (let waited = 0; isAlive(identity); waited += 10) {
    if (waited > 10_000) throw new TsscError(`container ${record.id}: pid ${record.pid} survived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
