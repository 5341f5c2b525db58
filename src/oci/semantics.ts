// Checks of config.json that a JSON schema cannot express: absolute paths, the rootfs on
// disk, namespaces, limits. Runs on the raw parsed JSON next to the schema check, so it
// looks only at values of the right type and leaves wrong types to the schema's messages.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Problem } from './errors.js';
import { describeValue } from './describe-value.js';
import { seccompProblems } from './seccomp-profile.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayAt(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A problem collector for file, and its check of an absolute path. */
function collector(file: string, problems: Problem[]): { add: Add; requireAbsolute: RequireAbsolute } {
  const add = (pointer: string, message: string): void => {
    problems.push({ file, pointer, message });
  };
  const requireAbsolute = (pointer: string, value: unknown): void => {
    if (typeof value === 'string' && !path.isAbsolute(value)) {
      add(pointer, `must be an absolute path, got ${describeValue(value)}`);
    }
  };
  return { add, requireAbsolute };
}

export function checkSemantics(file: string, config: unknown, bundleDir: string): Problem[] {
  if (!isObject(config)) return [];
  const problems: Problem[] = [];
  const { add, requireAbsolute } = collector(file, problems);

  checkProcess(config.process, add, requireAbsolute);
  checkRoot(config.root, bundleDir, add);
  arrayAt(config.mounts).forEach((mount, i) => {
    if (isObject(mount)) requireAbsolute(`/mounts/${i}/destination`, mount.destination);
  });
  if (isObject(config.hooks)) {
    for (const [stage, hooks] of Object.entries(config.hooks)) {
      arrayAt(hooks).forEach((hook, i) => {
        if (isObject(hook)) requireAbsolute(`/hooks/${stage}/${i}/path`, hook.path);
      });
    }
  }
  checkNamespaces(config, add, requireAbsolute);
  if (isObject(config.linux)) problems.push(...seccompProblems(file, config.linux.seccomp));
  return problems;
}

/** The checks of checkSemantics for a process object alone (an exec's), pointers under /process. */
export function checkProcessSemantics(file: string, process: unknown): Problem[] {
  const problems: Problem[] = [];
  const { add, requireAbsolute } = collector(file, problems);
  checkProcess(process, add, requireAbsolute);
  return problems;
}

type Add = (pointer: string, message: string) => void;
type RequireAbsolute = (pointer: string, value: unknown) => void;

function checkProcess(process: unknown, add: Add, requireAbsolute: RequireAbsolute): void {
  if (!isObject(process)) return;
  if (process.args === undefined) add('/process/args', 'is required (the program to run)');
  else if (Array.isArray(process.args) && process.args.length === 0) {
    add('/process/args', 'must not be empty: it names the program to run');
  } else if (Array.isArray(process.args) && process.args[0] === '') {
    add('/process/args/0', 'must name the program to run, got ""');
  }
  requireAbsolute('/process/cwd', process.cwd);

  const seen = new Map<unknown, number>();
  arrayAt(process.rlimits).forEach((limit, i) => {
    if (!isObject(limit)) return;
    const earlier = seen.get(limit.type);
    if (typeof limit.type === 'string' && earlier !== undefined) {
      add(`/process/rlimits/${i}/type`, `duplicate rlimit ${limit.type} (also at /process/rlimits/${earlier})`);
    }
    seen.set(limit.type, i);
    if (typeof limit.soft === 'number' && typeof limit.hard === 'number' && limit.soft > limit.hard) {
      add(`/process/rlimits/${i}/soft`, `must not exceed the hard limit ${limit.hard}, got ${limit.soft}`);
    }
  });
}

function checkRoot(root: unknown, bundleDir: string, add: Add): void {
  if (!isObject(root) || typeof root.path !== 'string' || root.path === '') return;
  const rootfs = path.resolve(bundleDir, root.path);
  try {
    if (!statSync(rootfs).isDirectory()) add('/root/path', `${rootfs} is not a directory`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
    add('/root/path', `root filesystem ${rootfs} ${reason}`);
  }
}

function checkNamespaces(config: JsonObject, add: Add, requireAbsolute: RequireAbsolute): void {
  const linux = isObject(config.linux) ? config.linux : {};
  const seen = new Map<unknown, number>();
  arrayAt(linux.namespaces).forEach((ns, i) => {
    if (!isObject(ns)) return;
    const earlier = seen.get(ns.type);
    if (typeof ns.type === 'string' && earlier !== undefined) {
      add(`/linux/namespaces/${i}/type`, `duplicate namespace "${ns.type}" (also at /linux/namespaces/${earlier})`);
    }
    seen.set(ns.type, i);
    requireAbsolute(`/linux/namespaces/${i}/path`, ns.path);
  });
  // runc refuses these too: without a private UTS namespace the names would be the host's.
  for (const field of ['hostname', 'domainname'] as const) {
    if (typeof config[field] === 'string' && config[field] !== '' && !seen.has('uts')) {
      add(`/${field}`, 'cannot be set without a private "uts" namespace in /linux/namespaces');
    }
  }
}
