// A container's record in the state root, and the OCI state JSON printed from it.
import type { Hooks } from '../spec.js';
import { hasProcess, type ContainerStatus } from './lifecycle.js';

/** What tssc keeps about a container (STATE_ROOT/ID.tssc-state). */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Host pid of the container's sentry (its exit status is the container's); 0 while there is none. */
  pid: number;
  /** Start time of that pid (see process-identity.ts), so a reused pid is not mistaken for it. */
  pidStartTime?: string;
  /** Absolute bundle directory. */
  bundle: string;
  /** Absolute rootfs directory. */
  rootfs: string;
  /** RFC 3339 creation time, UTC. */
  created: string;
  /** User name (or #uid) of whoever created the container. */
  owner: string;
  annotations: Record<string, string>;
  /** The spec's hooks, for the commands after create (start, delete) that run them. */
  hooks?: Hooks;
}

/** The state of a container as `state` and `list --format json` print it (OCI plus runc's extras). */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export const OCI_STATE_VERSION = '1.2.0';

export function toOciState(record: ContainerRecord): OciState {
  // The runtime-spec requires pid while created or running; runc prints 0 once stopped.
  const live = hasProcess(record.status);
  const state: OciState = {
    ociVersion: record.ociVersion,
    id: record.id,
    pid: live ? record.pid : 0,
    status: record.status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
  };
  if (Object.keys(record.annotations).length > 0) state.annotations = record.annotations;
  return state;
}
