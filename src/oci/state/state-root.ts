// Where container records live: `--root`, else /run/tssc for root, $XDG_RUNTIME_DIR/tssc for
// other users, else /tmp/tssc-UID. /tmp is shared with every user, so that last one must be
// a real directory of ours that nobody else can write into, or tssc will not use it.
import { lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { TsscError } from '../errors.js';

export interface StateRootChoice {
  dir: string;
  /** True for the shared-/tmp fallback, which must pass the ownership check. */
  shared: boolean;
}

export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env, euid = geteuid()): StateRootChoice {
  if (euid === 0) return { dir: '/run/tssc', shared: false };
  const runtimeDir = env.XDG_RUNTIME_DIR;
  if (runtimeDir !== undefined && path.isAbsolute(runtimeDir)) {
    return { dir: path.join(runtimeDir, 'tssc'), shared: false };
  }
  return { dir: `/tmp/tssc-${euid}`, shared: true };
}

/** Creates the state root if needed and returns its absolute path. */
export function prepareStateRoot(rootOption: string | undefined): string {
  const choice = rootOption === undefined ? defaultStateRoot() : { dir: path.resolve(rootOption), shared: false };
  try {
    mkdirSync(choice.dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new TsscError(`cannot create state directory ${choice.dir}: ${(error as Error).message}`);
  }
  if (choice.shared) checkPrivate(choice.dir);
  return choice.dir;
}

/** Refuses a directory another user could have planted or can write into. */
export function checkPrivate(dir: string, euid = geteuid()): void {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new TsscError(`refusing state directory ${dir}: not a directory`);
  if (stat.uid !== euid) {
    throw new TsscError(`refusing state directory ${dir}: owned by uid ${stat.uid}, not by you (uid ${euid})`);
  }
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new TsscError(`refusing state directory ${dir}: mode ${mode} lets other users in (want 0700)`);
  }
}

function geteuid(): number {
  return process.geteuid?.() ?? 0;
}
