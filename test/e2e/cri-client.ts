// A CRI client as the kubelet is one: gRPC over containerd's socket with the RuntimeService
// and ImageService of the vendored api.proto (test/fixtures/cri), each call a promise.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO } from '../cli/run-cli.js';

const PROTO = path.join(REPO, 'test', 'fixtures', 'cri', 'api.proto');

type Message = Record<string, unknown>;
type Call = (request: Message) => Promise<Message>;

export interface CriClient {
  runtime: Record<string, Call>;
  image: Record<string, Call>;
  close(): void;
}

export function criClient(socketPath: string): CriClient {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const runtimeV1 = (grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } }).runtime.v1;
  const target = `unix://${socketPath}`;
  const clients = [new runtimeV1.RuntimeService!(target, grpc.credentials.createInsecure()), new runtimeV1.ImageService!(target, grpc.credentials.createInsecure())];
  const promised = (client: grpc.Client): Record<string, Call> =>
    new Proxy({} as Record<string, Call>, {
      get: (_, method: string) => (request: Message) =>
        new Promise<Message>((resolve, reject) => {
          const deadline = new Date(Date.now() + 120_000);
          (client as unknown as Record<string, (r: Message, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: Message) => void) => void>)[method]!(request, { deadline }, (error, value) =>
            error ? reject(new Error(`${method}: ${error.details || error.message}`)) : resolve(value),
          );
        }),
    });
  return { runtime: promised(clients[0]!), image: promised(clients[1]!), close: () => clients.forEach((c) => c.close()) };
}
