// The process `exec` asks the sentry to start, as runc builds it: from a --process file
// (containerd's shim and conmon write one), or from the command line over the container's
// own process (its env, cwd, user and capabilities), with --env, --cwd, --user, --tty.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadBundle } from '../bundle.js';
import { TsscError } from '../errors.js';
import { checkedProcess, type ExecProcess } from '../process-check.js';

export interface ExecFlags {
  args: string[];
  env: string[];
  cwd?: string;
  user?: string;
  additionalGids: string[];
  tty: boolean;
}

/** The process of a --process file, checked for what the sentry needs. */
export function readProcessFile(file: string): ExecProcess {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TsscError(`process file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TsscError(`process file ${file}: invalid JSON: ${(error as Error).message}`);
  }
  return checkedProcess(`process file ${file}`, value);
}

/** The process of the command line, over the container's own (from its bundle). */
export function processFromFlags(bundleDir: string, flags: ExecFlags): ExecProcess {
  if (flags.args.length === 0) throw new TsscError('exec needs a command (or --process FILE)');
  const base = loadBundle(bundleDir).spec.process;
  const user = { ...base.user };
  if (flags.user !== undefined) {
    const match = /^(\d+)(?::(\d+))?$/.exec(flags.user);
    if (!match) throw new TsscError(`--user ${flags.user}: expected UID[:GID]`);
    user.uid = Number(match[1]);
    if (match[2] !== undefined) user.gid = Number(match[2]);
  }
  if (flags.additionalGids.length > 0) {
    user.additionalGids = flags.additionalGids.map((gid) => {
      if (!/^\d+$/.test(gid)) throw new TsscError(`--additional-gids ${gid}: not a number`);
      return Number(gid);
    });
  }
  const env = [...(base.env ?? [])];
  for (const entry of flags.env) {
    const name = entry.split('=')[0]!;
    const at = env.findIndex((e) => e.split('=')[0] === name);
    if (at >= 0) env[at] = entry;
    else env.push(entry);
  }
  const cwd = flags.cwd ?? base.cwd;
  if (!path.isAbsolute(cwd)) throw new TsscError(`--cwd ${cwd}: must be an absolute path`);
  return { ...base, args: flags.args, env, cwd, user, terminal: flags.tty };
}
