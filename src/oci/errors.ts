// Errors a user is meant to read: the CLI prints their message as `tssc: <message>` and
// exits 1, without a stack. Anything else escaping a command is a bug in tssc.

export class TsscError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TsscError';
  }
}

/** One thing wrong with a bundle, located by file and JSON pointer. */
export interface Problem {
  /** The file the problem is in, as the user named it (e.g. `config.json`). */
  file: string;
  /** JSON pointer into that file (`/process/cwd`), empty for the whole file. */
  pointer: string;
  message: string;
}

export function formatProblem(problem: Problem): string {
  return problem.pointer === ''
    ? `${problem.file}: ${problem.message}`
    : `${problem.file}: ${problem.pointer}: ${problem.message}`;
}

/** A bundle that cannot run; carries every problem found, not just the first. */
export class InvalidBundleError extends TsscError {
  readonly problems: readonly Problem[];

  constructor(bundleDir: string, problems: readonly Problem[]) {
    super(`invalid bundle ${bundleDir}:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'InvalidBundleError';
    this.problems = problems;
  }
}
