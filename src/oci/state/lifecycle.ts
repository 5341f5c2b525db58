// The OCI lifecycle as a state machine: creating -> created -> running <-> paused -> stopped.
// A create that fails goes from creating (or created) straight to stopped.
import { TsscError } from '../errors.js';

export const STATUSES = ['creating', 'created', 'running', 'paused', 'stopped'] as const;
export type ContainerStatus = (typeof STATUSES)[number];

const NEXT: Record<ContainerStatus, readonly ContainerStatus[]> = {
  creating: ['created', 'running', 'stopped'],
  created: ['running', 'stopped'],
  running: ['paused', 'stopped'],
  paused: ['running', 'stopped'],
  stopped: [],
};

export function canMove(from: ContainerStatus, to: ContainerStatus): boolean {
  return NEXT[from].includes(to);
}

export function assertMove(id: string, from: ContainerStatus, to: ContainerStatus): void {
  if (!canMove(from, to)) {
    throw new TsscError(`container ${id} is ${from}: it cannot become ${to}`);
  }
}

/** A status in which the container's sentry process is alive (so its death means stopped). */
export function hasProcess(status: ContainerStatus): boolean {
  return status === 'created' || status === 'running' || status === 'paused';
}
