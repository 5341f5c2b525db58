// An exec's process object (runc's --process file, or what reaches the sentry over its
// control socket) checked by the same rules as config.json's process: the schema's shape
// and the semantic checks, each problem pointing into the process object itself.
import { formatProblem, TsscError, type Problem } from './errors.js';
import { checkSchema } from './schema-check.js';
import { checkProcessSemantics } from './semantics.js';
import type { Process } from './spec.js';

/** A process whose args name a program. */
export type ExecProcess = Process & { args: string[] };

const UNDER_PROCESS = /^\/process(?=\/|$)/;

export function processProblems(file: string, process: unknown): Problem[] {
  // The process as the one field of a minimal config, so the config's schema applies.
  const config = { ociVersion: '1.0.0', process, root: { path: '.' } };
  const problems = [...checkSchema(file, config), ...checkProcessSemantics(file, process)];
  return problems.map((problem) => ({ ...problem, pointer: problem.pointer.replace(UNDER_PROCESS, '') }));
}

/** process itself when it has no problem; otherwise an error naming each offending field. */
export function checkedProcess(what: string, process: unknown): ExecProcess {
  const problems = processProblems(what, process);
  if (problems.length === 0) return process as ExecProcess;
  throw new TsscError(problems.map(formatProblem).join('; '));
}
