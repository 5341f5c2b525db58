// `features`: what this tssc supports, in the document runc prints (runtime-spec's
// features.md), so a higher-level runtime can ask before it generates a spec.
import { CAP_NAMES } from '../../abi/linux-capability.js';
import { knownMountOptions } from '../../vfs/options.js';

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean };
    seccomp: { enabled: boolean };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
  };
  annotations: Record<string, string>;
}

export function features(version: string): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: knownMountOptions(),
    linux: {
      // Each sandbox has its own, kept by the sentry: no host namespace is made or joined.
      namespaces: ['ipc', 'mount', 'network', 'pid', 'uts'],
      capabilities: CAP_NAMES.map((name) => `CAP_${name}`),
      // No cgroups: limits (pids, rlimits) are the sentry's own.
      cgroup: { v1: false, v2: false, systemd: false, systemdUser: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: {
      'dev.tssc.version': version,
      // Bundles whose init is a wasm module run through WASI preview1 (see docs/cli.md).
      'dev.tssc.wasm': 'wasi_snapshot_preview1',
      'run.oci.handler': 'wasm',
      'module.wasm.image/variant': 'compat',
    },
  };
}
