// Every command of the tssc CLI, one module each. A new command module is added here.
import type { RegisterCommand } from './context.js';
import { registerBundle } from './bundle.js';
import { registerDelete } from './delete.js';
import { registerKill } from './kill.js';
import { registerList } from './list.js';
import { registerRun } from './run.js';
import { registerSpec } from './spec.js';
import { registerState } from './state.js';
import { registerValidate } from './validate.js';

export const COMMANDS: readonly RegisterCommand[] = [
  registerSpec,
  registerValidate,
  registerBundle,
  registerState,
  registerList,
  registerDelete,
  registerRun,
  registerKill,
];
