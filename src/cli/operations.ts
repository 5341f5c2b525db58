// The lifecycle operations of the state root's containers, for the commands that drive them.
import { ContainerOperations } from '../oci/lifecycle/operations.js';
import type { CliContext } from './context.js';

export function operationsOf(context: CliContext): ContainerOperations {
  return new ContainerOperations(context.store(), (message) => context.log().warn(message));
}
