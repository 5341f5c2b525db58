// Every command of the tssc CLI, one module each. A new command module is added here.
import type { RegisterCommand } from './context.js';
import { registerBundle } from './bundle.js';
import { registerCreate } from './create.js';
import { registerDelete } from './delete.js';
import { registerDo } from './do.js';
import { registerEvents } from './events.js';
import { registerExec } from './exec.js';
import { registerExecMonitor } from './exec-monitor.js';
import { registerFeatures } from './features.js';
import { registerKill } from './kill.js';
import { registerList } from './list.js';
import { registerPause } from './pause.js';
import { registerPs } from './ps.js';
import { registerRun } from './run.js';
import { registerSentry } from './sentry.js';
import { registerSpec } from './spec.js';
import { registerStart } from './start.js';
import { registerState } from './state.js';
import { registerUpdate } from './update.js';
import { registerValidate } from './validate.js';

export const COMMANDS: readonly RegisterCommand[] = [
  registerSpec,
  registerValidate,
  registerBundle,
  registerCreate,
  registerStart,
  registerRun,
  registerDo,
  registerExec,
  registerState,
  registerList,
  registerPs,
  registerEvents,
  registerKill,
  registerPause,
  registerUpdate,
  registerDelete,
  registerFeatures,
  registerSentry,
  registerExecMonitor,
];
