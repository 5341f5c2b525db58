// The init process's environment and program as runc prepares them: HOME from the
// rootfs's /etc/passwd when the spec sets none, args[0] looked up in the spec's PATH.

import { O } from '../../abi/linux-fcntl.js';
import type { FsContext, Vfs } from '../../vfs/api.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PASSWD_MAX = 1 << 20;

/** A file of the sandbox as the init would read it (at most 1 MiB), or undefined. */
export function readSandboxFile(vfs: Vfs, ctx: FsContext, path: string): string | undefined {
  try {
    const file = vfs.open(ctx, undefined, path, O.RDONLY, 0);
    try {
      const buf = new Uint8Array(PASSWD_MAX);
      let done = 0;
      for (let n = -1; n !== 0 && done < buf.length; done += n) n = file.read(buf.subarray(done));
      return Buffer.from(buf.subarray(0, done)).toString('latin1');
    } finally {
      file.unref();
    }
  } catch {
    return undefined;
  }
}

/** The home directory of uid in the sandbox's /etc/passwd, or "/" as runc falls back. */
export function homeOf(vfs: Vfs, ctx: FsContext, uid: number): string {
  const passwd = readSandboxFile(vfs, ctx, '/etc/passwd') ?? '';
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 6 && Number(fields[2]) === uid && fields[5]) return fields[5];
  }
  return '/';
}

/** env with HOME added when absent. */
export function withHome(env: readonly string[], home: () => string): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? [...env] : [...env, `HOME=${home()}`];
}

/**
 * args[0] as runc execs it: a name without a slash is searched in the process's PATH
 * (inside the sandbox); undefined when it is found nowhere.
 */
export function findProgram(vfs: Vfs, ctx: FsContext, name: string, env: readonly string[]): string | undefined {
  if (name.includes('/')) return name;
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    const candidate = `${dir === '' ? '.' : dir}/${name}`;
    try {
      vfs.access(ctx, undefined, candidate, 1, 0);
      const st = vfs.stat(ctx, undefined, candidate, 0);
      if ((st.mode & 0o170000) === 0o100000) return candidate;
    } catch {
      // Not here: next PATH entry.
    }
  }
  return undefined;
}
