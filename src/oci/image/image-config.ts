// The part of an image's config (OCI image-spec config.json, or Docker's) that becomes the
// runtime spec: Env, Entrypoint, Cmd, WorkingDir, User.
import path from 'node:path';
import { defaultSpec } from '../default-spec.js';
import { TsscError } from '../errors.js';
import type { RunnableSpec } from '../spec.js';
import { resolveImageUser } from './image-user.js';

export interface ImageConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
}

/** Reads `config` of an image config document, checking the fields tssc uses. */
export function parseImageConfig(document: unknown, where: string): ImageConfig {
  const config = isObject(document) ? document.config : undefined;
  if (config === undefined || config === null) return {};
  if (!isObject(config)) throw new TsscError(`${where}: /config must be an object`);
  const result: ImageConfig = {};
  for (const field of ['Env', 'Entrypoint', 'Cmd'] as const) {
    const value = config[field];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
      throw new TsscError(`${where}: /config/${field} must be an array of strings`);
    }
    result[field] = value as string[];
  }
  for (const field of ['WorkingDir', 'User'] as const) {
    const value = config[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new TsscError(`${where}: /config/${field} must be a string`);
    result[field] = value;
  }
  return result;
}

/**
 * The spec of a bundle made from an image: tssc's defaults, the image's environment over
 * the default one, Entrypoint + (ARGS or Cmd), WorkingDir, and User looked up in the rootfs.
 */
export function specFromImage(image: ImageConfig, args: readonly string[], rootfs: string): RunnableSpec {
  const command = [...(image.Entrypoint ?? []), ...(args.length > 0 ? args : (image.Cmd ?? []))];
  if (command.length === 0) {
    throw new TsscError('the image sets no Entrypoint or Cmd: give the command to run after "--"');
  }
  const spec = defaultSpec({ args: command, cwd: path.posix.resolve('/', image.WorkingDir ?? '/') });
  spec.process.env = mergeEnv(spec.process.env ?? [], image.Env ?? []);
  spec.process.user = resolveImageUser(image.User ?? '', rootfs);
  return spec;
}

/** Each image variable replaces the default of the same name (an image PATH replaces PATH). */
export function mergeEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const merged = new Map<string, string>();
  for (const entry of [...defaults, ...overrides]) merged.set(entryName(entry), entry);
  return [...merged.values()];
}

function entryName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
