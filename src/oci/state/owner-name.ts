// The name `list` shows in its OWNER column: the host user name, as runc shows it.
import { readFileSync } from 'node:fs';

export function ownerName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name !== undefined && id !== undefined && Number(id) === uid && id !== '') return name;
    }
  } catch {
    // No readable passwd file: fall through to the numeric form.
  }
  return `#${uid}`;
}
