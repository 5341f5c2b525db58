// JSON schema of the config.json fields tssc reads, written from the OCI runtime-spec
// (config.md, config-linux.md; versions 1.0-1.2). Unknown fields are allowed everywhere,
// as runc allows them; only the shape of fields tssc acts on is checked here. Checks that
// need more than shape (absolute paths, rootfs on disk, soft <= hard) live in semantics.ts.
import { createHash } from 'node:crypto';
import type { Options, SchemaObject } from 'ajv';
import { NAMESPACE_TYPES, RLIMIT_NAMES, SECCOMP_ACTIONS, SECCOMP_OPERATORS } from './spec.js';

const uint32 = { type: 'integer', minimum: 0, maximum: 0xffff_ffff } as const;
const uint64 = { type: 'integer', minimum: 0 } as const;
const int64 = { type: 'integer' } as const;
const stringArray = { type: 'array', items: { type: 'string' } } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

const hook = {
  type: 'object',
  required: ['path'],
  properties: {
    path: { type: 'string' },
    args: stringArray,
    env: stringArray,
    timeout: { type: 'integer', minimum: 1 },
  },
} as const;
const hookList = { type: 'array', items: hook } as const;

const user = {
  type: 'object',
  required: ['uid', 'gid'],
  properties: {
    uid: uint32,
    gid: uint32,
    umask: { type: 'integer', minimum: 0, maximum: 0o7777 },
    additionalGids: { type: 'array', items: uint32 },
    username: { type: 'string' },
  },
} as const;

const capabilities = {
  type: 'object',
  properties: {
    bounding: stringArray,
    effective: stringArray,
    inheritable: stringArray,
    permitted: stringArray,
    ambient: stringArray,
  },
} as const;

const rlimit = {
  type: 'object',
  required: ['type', 'hard', 'soft'],
  properties: {
    type: { type: 'string', enum: RLIMIT_NAMES },
    hard: uint64,
    soft: uint64,
  },
} as const;

const process = {
  type: 'object',
  required: ['user', 'cwd'],
  properties: {
    terminal: { type: 'boolean' },
    consoleSize: {
      type: 'object',
      required: ['height', 'width'],
      properties: { height: uint32, width: uint32 },
    },
    user,
    args: stringArray,
    env: { type: 'array', items: { type: 'string', pattern: '^[^=]+=' } },
    cwd: { type: 'string' },
    capabilities,
    rlimits: { type: 'array', items: rlimit },
    noNewPrivileges: { type: 'boolean' },
    oomScoreAdj: { type: 'integer', minimum: -1000, maximum: 1000 },
  },
} as const;

const mount = {
  type: 'object',
  required: ['destination'],
  properties: {
    destination: { type: 'string' },
    type: { type: 'string' },
    source: { type: 'string' },
    options: stringArray,
  },
} as const;

const resources = {
  type: 'object',
  properties: {
    memory: {
      type: 'object',
      properties: { limit: int64, reservation: int64, swap: int64 },
    },
    cpu: {
      type: 'object',
      properties: { shares: uint64, quota: int64, period: uint64, cpus: { type: 'string' }, mems: { type: 'string' } },
    },
    pids: { type: 'object', required: ['limit'], properties: { limit: int64 } },
  },
} as const;

const seccomp = {
  type: 'object',
  required: ['defaultAction'],
  properties: {
    defaultAction: { type: 'string', enum: SECCOMP_ACTIONS },
    defaultErrnoRet: uint32,
    architectures: stringArray,
    flags: stringArray,
    syscalls: {
      type: 'array',
      items: {
        type: 'object',
        required: ['names', 'action'],
        properties: {
          names: { type: 'array', items: { type: 'string' }, minItems: 1 },
          action: { type: 'string', enum: SECCOMP_ACTIONS },
          errnoRet: uint32,
          args: {
            type: 'array',
            items: {
              type: 'object',
              required: ['index', 'value', 'op'],
              properties: {
                index: { type: 'integer', minimum: 0, maximum: 5 },
                value: uint64,
                valueTwo: uint64,
                op: { type: 'string', enum: SECCOMP_OPERATORS },
              },
            },
          },
        },
      },
    },
  },
} as const;

export const configSchema: SchemaObject = {
  type: 'object',
  // Optional in the runtime-spec in general, but a Linux container needs both.
  required: ['ociVersion', 'process', 'root'],
  properties: {
    ociVersion: { type: 'string', pattern: '^1\\.[0-9]+\\.[0-9]+' },
    process,
    root: {
      type: 'object',
      required: ['path'],
      properties: { path: { type: 'string', minLength: 1 }, readonly: { type: 'boolean' } },
    },
    hostname: { type: 'string' },
    domainname: { type: 'string' },
    mounts: { type: 'array', items: mount },
    hooks: {
      type: 'object',
      properties: {
        prestart: hookList,
        createRuntime: hookList,
        createContainer: hookList,
        startContainer: hookList,
        poststart: hookList,
        poststop: hookList,
      },
    },
    annotations: stringMap,
    linux: {
      type: 'object',
      properties: {
        namespaces: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type'],
            properties: { type: { type: 'string', enum: NAMESPACE_TYPES }, path: { type: 'string' } },
          },
        },
        resources,
        seccomp,
        sysctl: stringMap,
        maskedPaths: stringArray,
        readonlyPaths: stringArray,
      },
    },
  },
};

/** How configSchema is compiled, at run time or ahead of time (validator-codegen.ts). */
export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: true };

/** Identifies schema and options, so a stale precompiled validator is never used. */
export function schemaFingerprint(): string {
  return createHash('sha256').update(JSON.stringify([configSchema, AJV_OPTIONS])).digest('hex');
}
