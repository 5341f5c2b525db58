// Checks the rootfs side file (format in image/rootfs-meta.ts) when a bundle has one, so a
// hand-edited or foreign file is reported by `validate` before the VFS relies on it.
import { readFileSync } from 'node:fs';
import { ROOTFS_META_FILE } from './bundle-files.js';
import type { Problem } from './errors.js';
import { describeValue } from './describe-value.js';

const MAX_ID = 0xffff_fffe;
const NUMERIC_FIELDS: Record<string, number> = { mode: 0o7777, uid: MAX_ID, gid: MAX_ID, major: 0xfff, minor: 0xfffff };

export function checkRootfsMeta(metaPath: string): Problem[] {
  let text: string;
  try {
    text = readFileSync(metaPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [{ file: ROOTFS_META_FILE, pointer: '', message: `cannot be read: ${(error as Error).message}` }];
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return [{ file: ROOTFS_META_FILE, pointer: '', message: `invalid JSON: ${(error as Error).message}` }];
  }
  const problems: Problem[] = [];
  const add = (pointer: string, message: string): void => {
    problems.push({ file: ROOTFS_META_FILE, pointer, message });
  };
  if (!isObject(document)) {
    add('', `must be an object, got ${describeValue(document)}`);
    return problems;
  }
  if (document.version !== 1) add('/version', `must be 1, got ${describeValue(document.version)}`);
  if (!isObject(document.entries)) {
    add('/entries', `must be an object, got ${describeValue(document.entries)}`);
    return problems;
  }
  for (const [path, entry] of Object.entries(document.entries)) {
    const at = `/entries/${path.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!path.startsWith('/')) add(at, 'key must be an absolute path in the rootfs');
    if (!isObject(entry)) {
      add(at, `must be an object, got ${describeValue(entry)}`);
      continue;
    }
    checkEntry(entry, at, add);
  }
  return problems;
}

function checkEntry(entry: Record<string, unknown>, at: string, add: (pointer: string, message: string) => void): void {
  if (entry.type !== undefined && entry.type !== 'c' && entry.type !== 'b' && entry.type !== 'p') {
    add(`${at}/type`, `must be one of "c", "b", "p", got ${describeValue(entry.type)}`);
  }
  for (const [field, max] of Object.entries(NUMERIC_FIELDS)) {
    const value = entry[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      add(`${at}/${field}`, `must be an integer from 0 to ${max}, got ${describeValue(value)}`);
    }
  }
  const device = entry.type === 'c' || entry.type === 'b';
  if (device && (entry.major === undefined || entry.minor === undefined)) add(at, 'a device needs major and minor');
  if (!device && (entry.major !== undefined || entry.minor !== undefined)) add(at, 'major and minor belong to devices only');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
