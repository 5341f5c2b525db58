// The container records of one state root: STATE_ROOT/ID/state.json, one lock per ID
// (STATE_ROOT/@locks/ID; "@" cannot appear in an ID). Every change happens under the
// lock and lands with an atomic rename, so concurrent tssc processes never see or leave
// a torn record. Reads take no lock.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TsscError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { checkContainerId } from './container-id.js';
import { assertMove, type ContainerStatus } from './lifecycle.js';
import { acquireLock } from './lock.js';
import { ContainerNotFoundError } from './not-found.js';
import { ownerName } from './owner-name.js';
import { identify, isAlive } from './process-identity.js';
import { OCI_STATE_VERSION, toOciState, type ContainerRecord, type OciState } from './record.js';

const RECORD_FILE = 'state.json';
const LOCK_DIR = '@locks';

export interface NewContainer {
  id: string;
  bundle: string;
  rootfs: string;
  annotations?: Record<string, string>;
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

  /** The container's own directory; `run` may keep its sockets and logs there. */
  containerDir(id: string): string {
    checkContainerId(id);
    return path.join(this.root, id);
  }

  /** Runs `action` while holding the container's lock. */
  async withLock<T>(id: string, action: () => T | Promise<T>): Promise<T> {
    checkContainerId(id);
    const lockDir = path.join(this.root, LOCK_DIR);
    mkdirSync(lockDir, { recursive: true, mode: 0o700 });
    const lock = await acquireLock(path.join(lockDir, id), `container ${id}`);
    try {
      return await action();
    } finally {
      lock.release();
    }
  }

  async create(spec: NewContainer): Promise<ContainerRecord> {
    return this.withLock(spec.id, () => {
      const dir = this.containerDir(spec.id);
      // A directory without a record is what a create that crashed half-way leaves: reuse it.
      if (existsSync(path.join(dir, RECORD_FILE))) {
        throw new TsscError(`container with id ${spec.id} already exists`);
      }
      mkdirSync(dir, { recursive: true, mode: 0o700 });
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
      };
      withPidIdentity(record, pid);
      this.write(record);
      return record;
    });
  }

  /** Moves the container to a new status; refuses moves the lifecycle forbids. */
  async update(id: string, change: StatusChange): Promise<ContainerRecord> {
    return this.withLock(id, () => {
      const record = this.readLive(id);
      if (record.status !== change.status) assertMove(id, record.status, change.status);
      record.status = change.status;
      if (change.pid !== undefined) withPidIdentity(record, change.pid);
      this.write(record);
      return record;
    });
  }

  /** The record with its live status: a created or running container whose process died is stopped. */
  read(id: string): ContainerRecord {
    return this.readLive(id);
  }

  state(id: string): OciState {
    return toOciState(this.read(id));
  }

  /** Every container of the root, sorted by id; records being created or removed are skipped. */
  list(): ContainerRecord[] {
    const records: ContainerRecord[] = [];
    for (const name of readdirSync(this.root).sort()) {
      if (name === LOCK_DIR) continue;
      try {
        records.push(this.readLive(name));
      } catch (error) {
        if (!(error instanceof TsscError)) throw error;
      }
    }
    return records;
  }

  /** Forgets a container: a stopped or created one, or with `force` any, killing its process first. */
  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    await this.withLock(id, async () => {
      const record = this.readLive(id);
      // As runc: a created container (never started) goes without --force; a running one needs it.
      if (record.status !== 'stopped') {
        if (record.status !== 'created' && options.force !== true) {
          throw new TsscError(`cannot delete container ${id} that is not stopped: ${record.status}`);
        }
        await killAndWait(record);
      }
      rmSync(this.containerDir(id), { recursive: true, force: true });
    });
  }

  private readLive(id: string): ContainerRecord {
    const file = path.join(this.containerDir(id), RECORD_FILE);
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
    if ((record.status === 'created' || record.status === 'running') && !isAlive(pidIdentity(record))) {
      record.status = 'stopped';
    }
    return record;
  }

  private write(record: ContainerRecord): void {
    writeFileAtomic(path.join(this.containerDir(record.id), RECORD_FILE), JSON.stringify(record) + '\n');
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

function pidIdentity(record: ContainerRecord): { pid: number; startTime?: string } {
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
