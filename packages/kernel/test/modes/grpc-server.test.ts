import { Client, credentials, Metadata, status, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startGrpcServer, type GrpcServer } from '../../src/modes/grpc-server.js';
import { captureLog } from './fixtures/redis-store.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const parse = (bytes: Buffer) => JSON.parse(bytes.toString());

// A hand-written service definition: JSON over gRPC framing, so no protoc or proto-loader.
const echoDefinition: ServiceDefinition = {
  Say: {
    path: '/scaigrid.test.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: json,
    requestDeserialize: parse,
    responseSerialize: json,
    responseDeserialize: parse,
  },
};

const healthRequest = (service: string) => Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]);

function unary<Res>(client: Client, path: string, request: unknown, serialize: (v: never) => Buffer, deserialize: (b: Buffer) => Res): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(path, serialize as (v: unknown) => Buffer, deserialize, request, new Metadata(), (err: ServiceError | null, value?: Res) =>
      err ? reject(err) : resolve(value as Res),
    );
  });
}

describe('gRPC server', () => {
  let server: GrpcServer | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    client?.close();
    await server?.stop();
    client = server = undefined;
  });

  async function start() {
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      log: captureLog().log,
      services: [
        {
          definition: echoDefinition,
          implementation: {
            Say: (call: { request: { text: string } }, callback: (err: null, value: unknown) => void) =>
              callback(null, { text: `echo: ${call.request.text}` }),
          },
        },
      ],
    });
    client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
    return { server, client };
  }

  it('serves a registered service on the port it picked', async () => {
    const { server, client } = await start();
    expect(server.port).toBeGreaterThan(0);
    const reply = await unary(client, '/scaigrid.test.Echo/Say', { text: 'hi' }, json, parse);
    expect(reply).toEqual({ text: 'echo: hi' });
  });

  it('answers the standard health check for the server and for registered services', async () => {
    const { client } = await start();
    const check = (service: string) =>
      unary(client, '/grpc.health.v1.Health/Check', service, (s: string) => healthRequest(s), (b: Buffer) => [...b]);
    expect(await check('')).toEqual([0x08, 1]);
    expect(await check('scaigrid.test.Echo')).toEqual([0x08, 1]);
    await expect(check('nope.Service')).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('stops listening on stop()', async () => {
    const { server, client } = await start();
    await server.stop();
    await expect(unary(client, '/scaigrid.test.Echo/Say', { text: 'late' }, json, parse)).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
  });

  it('names the service when two registrations collide', async () => {
    await expect(
      startGrpcServer({
        host: '127.0.0.1',
        port: 0,
        log: captureLog().log,
        services: [
          { definition: echoDefinition, implementation: { Say: () => undefined } },
          { definition: echoDefinition, implementation: { Say: () => undefined } },
        ],
      }),
    ).rejects.toThrow(/GRPC_SERVICE_INVALID.*scaigrid\.test\.Echo\/Say/);
  });
});
