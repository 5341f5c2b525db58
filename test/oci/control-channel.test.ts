// The control channel without a sentry behind it: a request and the fds sent with it
// (SCM_RIGHTS) reach the handler; fds it does not take are closed; an answer that follows
// its process (exec) carries the client's lines to it and ends with its last line; an
// ordinary request without fds is answered as before.
import { closeSync, fstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callSentry } from '../../src/oci/control/client.js';
import type { ControlRequest, ExecRequest } from '../../src/oci/control/protocol.js';
import { FollowedAnswer, listenControl, type ControlServer, type ReceivedFds } from '../../src/oci/control/server.js';
import { loadConsole } from '../../src/native/console.js';

const EXEC: ExecRequest = { op: 'exec', detach: false, process: { args: ['true'], cwd: '/', user: { uid: 0, gid: 0 } } };

let dir: string;
let server: ControlServer | undefined;

async function listen(handler: (request: ControlRequest, fds: ReceivedFds) => unknown): Promise<string> {
  dir = mkdtempSync(path.join(tmpdir(), 'tssc-control-'));
  const socketPath = path.join(dir, 'c.sock');
  server = await listenControl(socketPath, handler);
  return socketPath;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** The request sent with fds attached, as `tssc exec` sends it; the connection's lines as they come. */
function sendWithFds(socketPath: string, request: unknown, fds: readonly number[]) {
  const socket = loadConsole().sendFds(socketPath, Buffer.from(JSON.stringify(request) + '\n'), fds, 5_000);
  expect(socket).toBeGreaterThan(0);
  const connection = new net.Socket({ fd: socket, readable: true, writable: true });
  const lines: unknown[] = [];
  let buffered = '';
  let wake: (() => void) | undefined;
  connection.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      lines.push(JSON.parse(buffered.slice(0, end)));
      buffered = buffered.slice(end + 1);
    }
    wake?.();
  });
  const closed = new Promise((resolve) => connection.on('close', resolve));
  return {
    connection,
    closed,
    async line(n: number): Promise<unknown> {
      while (lines.length <= n) await new Promise<void>((resolve) => (wake = resolve));
      return lines[n];
    },
  };
}

/** A terminal's slave: an fd whose device shows where a received copy came from. */
function terminal(): { slave: number; rdev: number; close(): void } {
  const opened = loadConsole().openPty();
  if (typeof opened === 'number') throw new Error(`openPty: ${opened}`);
  const [master, slave] = opened;
  return { slave, rdev: fstatSync(slave).rdev, close: () => [master, slave].forEach((fd) => closeSync(fd)) };
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
}

describe('the control channel', () => {
  it('gives the fds sent with a request to the handler that takes them', async () => {
    const tty = terminal();
    let received: number[] = [];
    const socketPath = await listen((request, fds) => {
      received = fds.take();
      return { op: request.op, fds: received.length };
    });
    const client = sendWithFds(socketPath, EXEC, [tty.slave, tty.slave, tty.slave]);
    expect(await client.line(0)).toEqual({ ok: true, value: { op: 'exec', fds: 3 } });
    expect(received.map((fd) => fstatSync(fd).rdev)).toEqual([tty.rdev, tty.rdev, tty.rdev]);
    expect(new Set([...received, tty.slave]).size).toBe(4);
    received.forEach((fd) => closeSync(fd));
    tty.close();
  });

  it('closes the fds of a request the handler refuses or leaves them with', async () => {
    const tty = terminal();
    const socketPath = await listen((request) => {
      if (request.op === 'exec') throw new Error('no exec here');
      return 'fine';
    });
    const before = openFds();
    const refused = sendWithFds(socketPath, EXEC, [tty.slave, tty.slave, tty.slave]);
    expect(await refused.line(0)).toEqual({ ok: false, error: 'no exec here' });
    refused.connection.end();
    await refused.closed;
    const ignored = sendWithFds(socketPath, { op: 'state' }, [tty.slave]);
    expect(await ignored.line(0)).toEqual({ ok: true, value: 'fine' });
    ignored.connection.end();
    await ignored.closed;
    const malformed = sendWithFds(socketPath, { op: 'frobnicate' }, [tty.slave, tty.slave]);
    expect(await malformed.line(0)).toEqual({ ok: false, error: 'malformed control request' });
    malformed.connection.end();
    await malformed.closed;
    // The server's side of each connection goes once its client's end is read.
    await until(() => openFds() === before);
    tty.close();
  });

  it('follows an answer: the client\'s lines reach it, its last line ends the connection', async () => {
    const tty = terminal();
    const heard: unknown[] = [];
    let end!: (message: unknown) => void;
    const socketPath = await listen((_request, fds) => {
      fds.take().forEach((fd) => closeSync(fd));
      return new FollowedAnswer({ pid: 5 }, new Promise((resolve) => (end = resolve)), (message) => heard.push(message));
    });
    const client = sendWithFds(socketPath, EXEC, [tty.slave, tty.slave, tty.slave]);
    expect(await client.line(0)).toEqual({ ok: true, value: { pid: 5 } });
    client.connection.write('{"signal":15}\nnot json\n{"signal":2}\n');
    await until(() => heard.length === 2);
    expect(heard).toEqual([{ signal: 15 }, { signal: 2 }]);
    end({ exit: 3 << 8 });
    expect(await client.line(1)).toEqual({ exit: 768 });
    await client.closed;
    tty.close();
  });

  it('answers a request from a client that sends no fds, as every other command sends one', async () => {
    const socketPath = await listen((request) => ({ echoed: request.op }));
    expect(await callSentry(socketPath, { op: 'ps' }, 5_000)).toEqual({ echoed: 'ps' });
  });
});
