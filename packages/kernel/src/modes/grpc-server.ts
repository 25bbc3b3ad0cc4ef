/**
 * @module modes/grpc-server
 * The gRPC mode's server: serves the services modules registered with `ctx.grpcService()` on
 * one @grpc/grpc-js server, plus the standard `grpc.health.v1.Health/Check` so load balancers
 * and `grpc_health_probe` can see it. The health messages are two tiny protobufs, encoded by
 * hand here so the kernel needs neither protoc nor proto-loader.
 */
import {
  Server,
  ServerCredentials,
  status,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';

export interface GrpcServiceRegistration {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port; the actual one is returned. */
  port: number;
  services: readonly GrpcServiceRegistration[];
  log: Logger;
  /** Default insecure (plaintext), meant for loopback or a private network behind TLS termination. */
  credentials?: ServerCredentials;
  /** How long stop() lets in-flight calls finish before cancelling them (default 5 s). */
  stopGraceMs?: number;
}

export interface GrpcServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * @example
 * const grpc = await startGrpcServer({ host: '0.0.0.0', port: 50051, services, log });
 * process.once('SIGTERM', () => void grpc.stop());
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const { host, services, log, stopGraceMs = 5_000 } = options;
  const server = new Server();
  const serviceNames = new Set<string>();
  let serving = true;

  for (const { definition, implementation } of services) {
    const paths = Object.values(definition).map((method) => method.path);
    try {
      server.addService(definition, implementation);
    } catch (err) {
      throw new Error(`[GRPC_SERVICE_INVALID] Cannot register gRPC service (${paths.join(', ')}): ${(err as Error).message}`, {
        cause: err,
      });
    }
    for (const path of paths) serviceNames.add(path.split('/')[1] ?? '');
  }
  server.addService(healthDefinition, {
    Check(call: ServerUnaryCall<HealthCheckRequest, number>, callback: sendUnaryData<number>) {
      const { service } = call.request;
      if (service !== '' && !serviceNames.has(service)) {
        callback({ code: status.NOT_FOUND, details: `Unknown service '${service}'` });
        return;
      }
      callback(null, serving ? SERVING : NOT_SERVING);
    },
  });

  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, options.credentials ?? ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(new Error(`[GRPC_BIND_FAILED] Cannot listen on ${address}: ${err.message}`, { cause: err })) : resolve(bound),
    );
  });
  log.info({ host, port, services: [...serviceNames] }, 'gRPC server listening');

  let stopping: Promise<void> | undefined;
  return {
    port,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        serving = false;
        const force = setTimeout(() => {
          log.warn({ graceMs: stopGraceMs }, 'gRPC calls still running after the grace period; cancelling them');
          server.forceShutdown();
          resolve();
        }, stopGraceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopping;
    },
  };
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` values. */
const SERVING = 1;
const NOT_SERVING = 2;

/** An object, not the bare string: grpc-js treats a falsy decoded message as a missing one. */
interface HealthCheckRequest {
  service: string;
}

/** The unary half of grpc.health.v1.Health; `Watch` (streaming) is left unimplemented. */
const healthDefinition: ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (request: HealthCheckRequest) => encodeStringField(request.service),
    requestDeserialize: (bytes: Buffer): HealthCheckRequest => ({ service: decodeServiceField(bytes) }),
    responseSerialize: (value: number) => Buffer.from([0x08, value]),
    responseDeserialize: (bytes: Buffer) => (bytes[0] === 0x08 ? bytes[1] : 0),
  },
};

/** Field 1 (length-delimited) of HealthCheckRequest, or '' when absent. */
function decodeServiceField(bytes: Buffer): string {
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; offset < bytes.length; shift += 7) {
      const byte = bytes[offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    return value;
  };
  while (offset < bytes.length) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === 2) {
      const length = varint();
      if (tag >>> 3 === 1) return bytes.toString('utf8', offset, offset + length);
      offset += length;
    } else if (wireType === 0) varint();
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else break;
  }
  return '';
}

function encodeStringField(value: string): Buffer {
  const body = Buffer.from(value, 'utf8');
  const length: number[] = [];
  for (let n = body.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...length]), body]);
}
