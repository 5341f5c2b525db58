// I/O priorities (linux/ioprio.h): a class in bits 13-15 and its data (a level in bits 0-2,
// hints above it), and whom ioprio_get/ioprio_set name.

export const IOPRIO_CLASS_SHIFT = 13;
export const IOPRIO_CLASS = { NONE: 0, RT: 1, BE: 2, IDLE: 3 } as const;
export const IOPRIO_WHO = { PROCESS: 1, PGRP: 2, USER: 3 } as const;
/** A level's bits (IOPRIO_LEVEL_MASK). */
export const IOPRIO_LEVEL_MASK = 7;

export function ioprioValue(ioprioClass: number, data: number): number {
  return (ioprioClass << IOPRIO_CLASS_SHIFT) | data;
}

export function ioprioClass(ioprio: number): number {
  return (ioprio >>> IOPRIO_CLASS_SHIFT) & 7;
}
