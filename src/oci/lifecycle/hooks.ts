// The spec's hooks, run on the host as the runtime spec says: each hook's path with its
// args (args[0] is its argv[0]) and exactly its env, the container's state JSON on its
// standard input, killed after its timeout. A failing createRuntime, createContainer,
// prestart or startContainer hook fails the operation; poststart and poststop failures
// are only logged, and the hooks after them still run.
//
// Hooks run with spawnSync: the event loop, and with it a foreground sentry's tracer,
// waits meanwhile, so the sentry's waitpid(-1) never takes a hook's exit from libuv.
import { spawnSync } from 'node:child_process';
import type { OciState } from '../state/record.js';
import type { Hook, Hooks } from '../spec.js';
import { TsscError } from '../errors.js';

export type HookPhase = keyof Hooks;

/** Output of a failing hook shown in the error, at most. */
const OUTPUT_SHOWN = 400;

/** Runs every hook of phase in order; throws on the first that fails. */
export function runHooks(hooks: Hooks | undefined, phase: HookPhase, state: OciState): void {
  (hooks?.[phase] ?? []).forEach((hook, index) => runHook(hook, phase, index, state));
}

/** Runs every hook of phase; returns the failures instead of stopping at one. */
export function runHooksLogged(hooks: Hooks | undefined, phase: HookPhase, state: OciState): string[] {
  const failures: string[] = [];
  (hooks?.[phase] ?? []).forEach((hook, index) => {
    try {
      runHook(hook, phase, index, state);
    } catch (error) {
      failures.push((error as Error).message);
    }
  });
  return failures;
}

function runHook(hook: Hook, phase: HookPhase, index: number, state: OciState): void {
  const [argv0, ...args] = hook.args ?? [hook.path];
  const result = spawnSync(hook.path, args, {
    argv0: argv0 ?? hook.path,
    env: Object.fromEntries((hook.env ?? []).map((entry) => splitEnv(entry))),
    input: JSON.stringify(state),
    stdio: ['pipe', 'pipe', 'pipe'],
    killSignal: 'SIGKILL',
    ...(hook.timeout !== undefined && { timeout: hook.timeout * 1000 }),
  });
  const what = `${phase} hook #${index} (${hook.path})`;
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  // A hook may end without reading the state (EPIPE on its stdin): its exit status decides.
  if (result.error && code !== 'EPIPE') {
    if (code === 'ETIMEDOUT') throw new TsscError(`${what}: timed out after ${hook.timeout}s`);
    throw new TsscError(`${what}: cannot run: ${code ?? result.error.message}`);
  }
  if (result.status === 0) return;
  const how = result.signal !== null ? `killed by ${result.signal}` : `exit status ${result.status}`;
  const output = Buffer.concat([result.stderr, result.stdout]).toString('utf8').trim().slice(0, OUTPUT_SHOWN);
  throw new TsscError(`${what}: ${how}${output ? `: ${output}` : ''}`);
}

function splitEnv(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
}
