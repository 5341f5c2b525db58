// The native side of the seccomp profile tests: fixtures/seccomp-install.c, which installs
// a profile with libseccomp as runc does, and the profile in its line format.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './busybox-bundle.js';

export interface SpecProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  syscalls?: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[] }[];
}

export const hasLibseccomp = existsSync('/usr/include/seccomp.h');

/** test/fixtures/seccomp/actions.json: every action and operator. */
export const ACTIONS_PROFILE = JSON.parse(readFileSync(path.join(REPO, 'test', 'fixtures', 'seccomp', 'actions.json'), 'utf8')) as SpecProfile;

/** The profile in seccomp-install's line format: a word-for-word copy of the JSON. */
function installerProfile(profile: SpecProfile): string {
  const lines = [`default ${profile.defaultAction} ${profile.defaultErrnoRet ?? -1}`];
  for (const rule of profile.syscalls ?? []) {
    const args = (rule.args ?? []).map((a) => `${a.index} ${a.op} ${a.value} ${a.valueTwo ?? 0}`).join(' ');
    for (const name of rule.names) lines.push(`rule ${name} ${rule.action} ${rule.errnoRet ?? -1} ${args}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

/** Builds DIR/seccomp-install and DIR/profile.txt; returns the argv prefix that runs a program under the profile. */
export function nativeUnderProfile(dir: string, profile: SpecProfile): string[] {
  const installer = path.join(dir, 'seccomp-install');
  execFileSync('gcc', ['-O2', '-o', installer, path.join(REPO, 'test', 'e2e', 'fixtures', 'seccomp-install.c'), '-lseccomp']);
  writeFileSync(path.join(dir, 'profile.txt'), installerProfile(profile));
  return [installer, path.join(dir, 'profile.txt')];
}
