// Kubernetes as the kubelet drives it: containerd's CRI plugin with a runtime handler
// `tssc` (io.containerd.runc.v2 with BinaryName = tssc, as docs/containerd.md configures a
// RuntimeClass), a host-network pod whose pause image the test builds, and a container in
// it whose output (the CRI log file) and exit code come back through the CRI calls, and
// ExecSync (what probes use) in a running one.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageArchive } from '../fixtures/oci-image.mjs';
import { TSSC } from '../cli/run-cli.js';
import { hasBusybox, makeRootfs, removeDir, scratchDir } from './busybox-bundle.js';
import { Containerd, hasContainerd } from '../fixtures/containerd.mjs';
import { criClient, type CriClient } from './cri-client.js';

const IMAGE = 'docker.io/library/tssc-busybox:cri';
const PAUSE = 'docker.io/library/tssc-pause:cri';
/** The containerd namespace the CRI plugin keeps its containers in. */
const K8S = 'k8s.io';

let scratch: string;
let containerd: Containerd;
let cri: CriClient;

describe.skipIf(!hasContainerd() || !hasBusybox())('Kubernetes through containerd\'s CRI plugin with a tssc RuntimeClass', () => {
  beforeAll(async () => {
    scratch = scratchDir('tssc-cri-');
    containerd = await Containerd.start(path.join(scratch, 'containerd'), { cri: { tsscBinary: TSSC, sandboxImage: PAUSE } });
    const rootfs = makeRootfs(path.join(scratch, 'image'));
    for (const [name, config] of [
      [IMAGE, { Env: ['PATH=/bin'], Cmd: ['sh'] }],
      // The pod's pause container: sleeps until it is killed.
      [PAUSE, { Env: ['PATH=/bin'], Entrypoint: ['sh', '-c', 'trap "exit 0" TERM; sleep 100000 & wait $!'] }],
    ] as const) {
      expect(containerd.ctr(['--namespace', K8S, 'images', 'import', imageArchive(scratch, rootfs, name, config)]).status).toBe(0);
    }
    cri = criClient(containerd.address);
  });
  afterAll(() => {
    cri?.close();
    for (const id of containerd?.ctr(['--namespace', K8S, 'tasks', 'list', '--quiet']).stdout.split('\n').filter(Boolean) ?? []) {
      containerd.ctr(['--namespace', K8S, 'tasks', 'kill', '--signal', 'SIGKILL', id]);
    }
    containerd?.stop();
    rmSync(`/run/containerd/runc/${K8S}`, { recursive: true, force: true });
    removeDir(scratch);
  });

  // Many calls through the shim or conmon: minutes on a loaded machine.
  it('runs a pod and a container whose output and exit code come back', async () => {
    expect((await cri.runtime.Version!({})).runtime_name).toBe('containerd');
    const logDirectory = path.join(scratch, 'pod-logs');
    const podConfig = {
      metadata: { name: 'tssc-pod', uid: `uid-${process.pid}`, namespace: 'default', attempt: 0 },
      log_directory: logDirectory,
      linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const pod = (await cri.runtime.RunPodSandbox!({ config: podConfig, runtime_handler: 'tssc' })).pod_sandbox_id as string;
    const podStatus = await cri.runtime.PodSandboxStatus!({ pod_sandbox_id: pod });
    expect((podStatus.status as { state: string }).state).toBe('SANDBOX_READY');

    const created = await cri.runtime.CreateContainer!({
      pod_sandbox_id: pod,
      config: {
        metadata: { name: 'hello', attempt: 0 },
        image: { image: IMAGE },
        command: ['sh', '-c', 'echo hello from a pod; echo to stderr >&2; exit 3'],
        log_path: 'hello.log',
        linux: {},
      },
      sandbox_config: podConfig,
    });
    const container = created.container_id as string;
    await cri.runtime.StartContainer!({ container_id: container });
    let status: { state: string; exit_code: number; reason: string } = { state: '', exit_code: -1, reason: '' };
    for (let i = 0; i < 300; i++) {
      status = (await cri.runtime.ContainerStatus!({ container_id: container })).status as typeof status;
      if (status.state === 'CONTAINER_EXITED') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toMatchObject({ state: 'CONTAINER_EXITED', exit_code: 3, reason: 'Error' });
    // The CRI log format: TIMESTAMP STREAM TAG MESSAGE.
    const log = readFileSync(path.join(logDirectory, 'hello.log'), 'utf8').trim().split('\n');
    expect(log.map((line) => line.split(' ').slice(1).join(' ')).sort()).toEqual(['stderr F to stderr', 'stdout F hello from a pod']);

    await cri.runtime.StopContainer!({ container_id: container, timeout: 10 });
    await cri.runtime.RemoveContainer!({ container_id: container });

    // A probe's way in: ExecSync in a running container.
    const server = (
      await cri.runtime.CreateContainer!({
        pod_sandbox_id: pod,
        config: {
          metadata: { name: 'server', attempt: 0 },
          image: { image: IMAGE },
          command: ['sh', '-c', 'echo ready > /tmp/health; trap "exit 0" TERM; sleep 100000 & wait $!'],
          log_path: 'server.log',
          linux: {},
        },
        sandbox_config: podConfig,
      })
    ).container_id as string;
    await cri.runtime.StartContainer!({ container_id: server });
    const probe = await cri.runtime.ExecSync!({ container_id: server, cmd: ['sh', '-c', 'cat /tmp/health; echo $PPID; echo probe err >&2; exit 2'], timeout: 60 });
    expect({ stdout: String(probe.stdout), stderr: String(probe.stderr), exit_code: probe.exit_code }).toEqual({ stdout: 'ready\n0\n', stderr: 'probe err\n', exit_code: 2 });
    await cri.runtime.StopContainer!({ container_id: server, timeout: 10 });
    await cri.runtime.RemoveContainer!({ container_id: server });
    await cri.runtime.StopPodSandbox!({ pod_sandbox_id: pod });
    await cri.runtime.RemovePodSandbox!({ pod_sandbox_id: pod });
    expect((await cri.runtime.ListPodSandbox!({})).items).toEqual([]);
  }, 180_000);
});
