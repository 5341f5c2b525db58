// Container IDs name directories in the state root, so they are checked as runc checks
// them: letters, digits, and + - . _ only, and never "." or "..".
import { TsscError } from '../errors.js';

const ID_PATTERN = /^[\w+\-.]+$/;
const MAX_ID_LENGTH = 255;

export function checkContainerId(id: string): void {
  if (id === '') throw new TsscError('container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new TsscError(`invalid container id ${JSON.stringify(id)}: only letters, digits, "_", "+", "-" and "." are allowed`);
  }
  if (id.length > MAX_ID_LENGTH) throw new TsscError(`invalid container id: longer than ${MAX_ID_LENGTH} characters`);
}
