// The sandbox's network from the command line and the spec. The mode is runsc's: a
// --network flag wins (as runsc's does), then the dev.tssc.network annotation, then the
// spec's network namespace: with one (a path or not) the sandbox has its own stack,
// `sandbox`; without one the container shares the host's network as under runc, `host`.
// A path puts the host sockets of either mode in that namespace (a pod's). Published ports
// come from -p and the dev.tssc.publish annotation, and need the sandbox mode.

import { NETWORK_MODES, describePort, type NetworkConfig, type NetworkMode, type PublishedPort } from '../netstack/index.js';
import { parseIp, type Ip } from '../netstack/inet/ip.js';
import { TsscError } from './errors.js';
import type { RunnableSpec } from './spec.js';

export const NETWORK_ANNOTATION = 'dev.tssc.network';
export const PUBLISH_ANNOTATION = 'dev.tssc.publish';

/** What the command line asked for (undefined: the spec decides). */
export interface NetworkRequest {
  readonly mode?: NetworkMode;
  readonly publish?: readonly string[];
}

export function parseNetworkMode(text: string, source = '--network'): NetworkMode {
  if ((NETWORK_MODES as readonly string[]).includes(text)) return text as NetworkMode;
  throw new TsscError(`${source} ${text}: expected one of ${NETWORK_MODES.join(', ')}`);
}

function portOf(text: string, what: string, whole: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new TsscError(`published port ${whole}: ${what} ${text} is not a port (1-65535)`);
  return port;
}

/** `[HOSTIP:]HOSTPORT:PORT[/tcp|/udp]`, an IPv6 HOSTIP in brackets, as podman's -p takes it. */
export function parsePublish(text: string): PublishedPort {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?([^:/]+):([^:/]+)(?:\/(tcp|udp))?$/.exec(text);
  if (!match) throw new TsscError(`published port ${text}: expected [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]`);
  const [, hostText, hostPort, port, protocol] = match;
  let hostIp: Ip | undefined;
  if (hostText !== undefined) {
    hostIp = parseIp(hostText.replace(/^\[|\]$/g, ''));
    if (!hostIp) throw new TsscError(`published port ${text}: ${hostText} is not an IP address`);
  }
  return { ...(hostIp ? { hostIp } : {}), hostPort: portOf(hostPort!, 'host port', text), port: portOf(port!, 'port', text), protocol: protocol === 'udp' ? 'udp' : 'tcp' };
}

/** The nameservers a resolv.conf names, as addresses (lines it cannot read are left out). */
export function nameserversOf(resolvConf: string): Ip[] {
  const out: Ip[] = [];
  for (const line of resolvConf.split('\n')) {
    const match = /^\s*nameserver\s+([0-9a-fA-F:.]+)(%\S+)?\s*$/.exec(line);
    const ip = match ? parseIp(match[1]!) : undefined;
    if (ip) out.push(ip);
  }
  return out;
}

/** The network of a sandbox of spec, as request and the spec say (see above); nameservers from its resolv.conf. */
export function networkConfigOf(spec: RunnableSpec, request: NetworkRequest = {}, nameservers: readonly Ip[] = []): NetworkConfig {
  const annotations = spec.annotations ?? {};
  const netns = spec.linux?.namespaces?.find((ns) => ns.type === 'network');
  const annotated = annotations[NETWORK_ANNOTATION];
  const mode = request.mode ?? (annotated !== undefined ? parseNetworkMode(annotated, `annotation ${NETWORK_ANNOTATION}:`) : netns ? 'sandbox' : 'host');
  const published = request.publish ?? (annotations[PUBLISH_ANNOTATION] ?? '').split(',').filter((p) => p.trim() !== '').map((p) => p.trim());
  const publish = published.map(parsePublish);
  if (publish.length > 0 && mode !== 'sandbox') {
    const why = mode === 'none' ? 'the sandbox has no network to reach it (--network=none)' : "the sandbox's ports are the host's already (--network=host)";
    throw new TsscError(`published port ${describePort(publish[0]!)}: ${why}; publishing needs --network=sandbox`);
  }
  const path = mode !== 'none' && netns?.path ? netns.path : undefined;
  return { mode, ...(path ? { namespacePath: path } : {}), ...(publish.length > 0 ? { publish } : {}), ...(nameservers.length > 0 ? { nameservers } : {}) };
}
