// Reading a bundle: DIR/config.json, checked in full (shape and meaning) with the rootfs
// and its side file before anything starts, and the absolute locations the runtime needs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE, ROOTFS_META_FILE } from './bundle-files.js';
import { InvalidBundleError, type Problem } from './errors.js';
import { checkRootfsMeta } from './rootfs-meta-check.js';
import { checkSchema } from './schema-check.js';
import { checkSemantics } from './semantics.js';
import type { RunnableSpec } from './spec.js';


export interface Bundle {
  /** Absolute bundle directory. */
  dir: string;
  /** Absolute path of config.json. */
  configPath: string;
  spec: RunnableSpec;
  /** Absolute host path of the root filesystem (root.path resolved against the bundle). */
  rootfs: string;
  /** Absolute path of the rootfs metadata side file; it may not exist. */
  rootfsMetaPath: string;
}

export type BundleCheck = { ok: true; bundle: Bundle } | { ok: false; dir: string; problems: Problem[] };

/** Every problem of the bundle at DIR, or the bundle when there are none. */
export function checkBundle(dir: string): BundleCheck {
  const bundleDir = path.resolve(dir);
  const configPath = path.join(bundleDir, CONFIG_FILE);
  const parsed = readConfig(configPath);
  if ('problem' in parsed) return { ok: false, dir: bundleDir, problems: [parsed.problem] };
  const rootfsMetaPath = path.join(bundleDir, ROOTFS_META_FILE);
  const problems = [
    ...checkSchema(CONFIG_FILE, parsed.config),
    ...checkSemantics(CONFIG_FILE, parsed.config, bundleDir),
    ...checkRootfsMeta(rootfsMetaPath),
  ];
  if (problems.length > 0) return { ok: false, dir: bundleDir, problems };
  // Both checks passed, so the JSON has the shape RunnableSpec describes.
  const spec = parsed.config as RunnableSpec;
  return {
    ok: true,
    bundle: {
      dir: bundleDir,
      configPath,
      spec,
      rootfs: path.resolve(bundleDir, spec.root.path),
      rootfsMetaPath,
    },
  };
}

/** The bundle at DIR, or an InvalidBundleError listing all of its problems. */
export function loadBundle(dir: string): Bundle {
  const result = checkBundle(dir);
  if (!result.ok) throw new InvalidBundleError(result.dir, result.problems);
  return result.bundle;
}

function readConfig(configPath: string): { config: unknown } | { problem: Problem } {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `not found at ${configPath}` : `cannot be read: ${code ?? String(error)}`;
    return { problem: { file: CONFIG_FILE, pointer: '', message } };
  }
  try {
    return { config: JSON.parse(text) as unknown };
  } catch (error) {
    return { problem: { file: CONFIG_FILE, pointer: '', message: `invalid JSON: ${jsonErrorWhere(text, error)}` } };
  }
}

/** JSON.parse reports a character offset; people look for lines. */
function jsonErrorWhere(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message);
  if (at === null) return message;
  const offset = Number(at[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line} column ${column}`;
}
