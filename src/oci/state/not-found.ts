import { TsscError } from '../errors.js';

/** No record for this ID in the state root (runc's "container does not exist"). */
export class ContainerNotFoundError extends TsscError {
  constructor(id: string) {
    super(`container ${id} does not exist`);
    this.name = 'ContainerNotFoundError';
  }
}
