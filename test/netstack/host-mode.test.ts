// --network=host in the netstack alone: sandbox sockets that are host sockets, against
// servers and clients of this test on the host's loopback.
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { POLL } from '../../src/abi/linux-poll.js';
import { AF, SOCK } from '../../src/abi/linux-socket.js';
import { MemoryAccount } from '../../src/accounting/memory-account.js';
import { createNetworkStack, type InetAddress, type Socket } from '../../src/netstack/index.js';
import { caller, errnoOf, receive, send, text } from './helpers.js';

const root = caller();
const LOOP = (port: number): InetAddress => ({ family: AF.INET, ip: Uint8Array.from([127, 0, 0, 1]), port });

/** Resolves once socket has one of events. */
function ready(socket: Socket, events: number): Promise<number> {
  const now = socket.readiness(events);
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const unsubscribe = socket.subscribe(events, () => {
      const r = socket.readiness(events);
      if (!r) return;
      unsubscribe();
      resolve(r);
    });
  });
}

describe('--network=host', () => {
  it('connects to a host server on 127.0.0.1 and carries bytes both ways', async () => {
    const server = net.createServer((c) => c.on('data', (d) => c.write(`echo ${d}`)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const stack = createNetworkStack({ mode: 'host' });
    try {
      const client = stack.socket(AF.INET, SOCK.STREAM, 0, root);
      expect(errnoOf(() => client.connect(LOOP(port), root, true))).toBe(E.EINPROGRESS);
      await ready(client, POLL.OUT);
      client.finishConnect();
      expect(client.peerAddress()).toEqual(LOOP(port));
      send(client, 'hi', root);
      await ready(client, POLL.IN);
      expect(text(receive(client))).toBe('echo hi');
      client.release();
    } finally {
      server.close();
    }
  });

  it('listens on the host\'s port space: a host client reaches the sandbox\'s listener', async () => {
    const stack = createNetworkStack({ mode: 'host' });
    const listener = stack.socket(AF.INET, SOCK.STREAM, 0, root);
    listener.bind(LOOP(0), root);
    listener.listen(5, root);
    const port = (listener.localAddress() as InetAddress).port;
    const client = net.connect(port, '127.0.0.1');
    client.on('data', () => {});
    await ready(listener, POLL.IN);
    const accepted = listener.accept(root);
    send(accepted, 'from inside', root);
    const [data] = await once(client, 'data');
    expect(String(data)).toBe('from inside');
    client.end('bye');
    await ready(accepted, POLL.IN);
    expect(text(receive(accepted))).toBe('bye');
    await ready(accepted, POLL.RDHUP);
    expect(receive(accepted).eof).toBe(true);
    accepted.release();
    listener.release();
  });

  it('keeps a port below 1024 for CAP_NET_BIND_SERVICE', () => {
    const stack = createNetworkStack({ mode: 'host' });
    const s = stack.socket(AF.INET, SOCK.STREAM, 0, caller(2, 1000, 1000));
    expect(errnoOf(() => s.bind(LOOP(80), caller(2, 1000, 1000)))).toBe(E.EACCES);
    s.release();
  });

  it('refuses a connect nobody listens for, as the host does', async () => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const stack = createNetworkStack({ mode: 'host' });
    const client = stack.socket(AF.INET, SOCK.STREAM, 0, root);
    expect(errnoOf(() => client.connect(LOOP(port), root, true))).toBe(E.EINPROGRESS);
    await ready(client, POLL.OUT);
    expect(errnoOf(() => client.finishConnect())).toBe(E.ECONNREFUSED);
    client.release();
  });

  it("charges each host socket's buffers to the memory account: ENOBUFS at the limit, all back on close", () => {
    const account = new MemoryAccount(4 << 20);
    const stack = createNetworkStack({ mode: 'host', memory: account.buffers });
    const held: Socket[] = [];
    let refused = 0;
    while (held.length < 1000 && refused === 0) refused = errnoOf(() => held.push(stack.socket(AF.INET, SOCK.STREAM, 0, root)));
    // A TCP socket takes its SO_SNDBUF + SO_RCVBUF (tcp_wmem[1] + tcp_rmem[1]), well over 4 KiB.
    expect(refused).toBe(E.ENOBUFS);
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThan(1000);
    expect(account.charged).toBeLessThanOrEqual(4 << 20);
    expect(account.charged).toBeGreaterThan((4 << 20) - (account.charged / held.length) * 2);
    for (const s of held) s.release();
    expect(account.charged).toBe(0);
    stack.socket(AF.INET, SOCK.STREAM, 0, root).release();
    expect(account.charged).toBe(0);
  });
});
