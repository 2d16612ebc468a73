/**
 * Starting and stopping the server: opens storage, ensures the root token, listens, and on
 * SIGTERM/SIGINT stops accepting, finishes requests in flight, closes the database and exits 0
 * (CONTRACT.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock, type Config } from './config.ts';
import { createRequestListener, type ExpectingRequest, type RequestRecord } from './http/s3-handler.ts';
import { attachRequestLog, openRequestLog } from './log/request-log.ts';
import { openStorage } from './storage/open-storage.ts';
import type { Storage } from './storage/types.ts';

export const CLOCK_CONTROL_SETTING = 'server.clockControl';

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  storage: Storage;
  close(): Promise<void>;
}

export interface StartOptions {
  /** One line per answered request; default: none */
  onRequestDone?: (entry: RequestRecord) => void;
  /** Overrides {@link SERVER_TIMEOUTS} (tests use short ones). */
  timeouts?: Partial<ServerTimeouts>;
}

export interface ServerTimeouts {
  /** Socket inactivity, in either direction, before a request is given up (see below). */
  idleMs: number;
  /** From a request's first byte until its headers are complete. */
  headersMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveMs: number;
  /** How often Node checks headersMs (it is not a timer per connection). */
  checkIntervalMs: number;
}

/**
 * Limits against slow and stalled clients, as S3 has them:
 *
 *   idle        a request whose body stops arriving is answered 400 RequestTimeout and its
 *               connection closed (S3: "not read from or written to within the timeout
 *               period"; its period, about 20 s, is UNVERIFIED). A response the client stops
 *               reading is cut. A server busy on a request (a large CompleteMultipartUpload)
 *               never times out: see the app's timeout handlers.
 *   headers     a client dribbling its headers (slowloris) is cut after 20 s.
 *   no total    requestTimeout stays 0: a 5 GiB PutObject on a slow link may take hours, and
 *               S3 lets it as long as bytes keep coming.
 */
export const SERVER_TIMEOUTS: Readonly<ServerTimeouts> = Object.freeze({
  idleMs: 20_000,
  headersMs: 20_000,
  keepAliveMs: 5_000,
  checkIntervalMs: 5_000,
});

/** The clock every time check uses; with --clock-control it follows `signet clock`. */
export function serverClock(config: Readonly<Config>, storage: Storage): Clock {
  if (!config.clockControl) return systemClock;
  return {
    now: () => new Date(Date.now() + storage.meta.getClockOffsetMs()),
    offsetMs: () => storage.meta.getClockOffsetMs(),
  };
}

export async function startServer(config: Readonly<Config>, options: StartOptions = {}): Promise<RunningServer> {
  const storage = await openStorage(config.dataDir, { sweep: true });
  storage.meta.upsertRootToken(config.rootAccessKeyId, config.rootSecretAccessKey, new Date());
  // Tells `signet clock` and `signet explain` whether this server follows the clock offset.
  storage.meta.setSetting(CLOCK_CONTROL_SETTING, config.clockControl ? '1' : '0');
  const clock = serverClock(config, storage);
  // Every answered request goes to the request log (buffered, redacted), then to the caller's
  // hook (serve's console line).
  const requestLog = openRequestLog(config.dataDir);
  attachRequestLog(storage, requestLog);
  const onRequestDone = (entry: RequestRecord) => {
    requestLog.record(entry);
    options.onRequestDone?.(entry);
  };
  const deps = { config, storage, clock, onRequestDone };
  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      requestTimeout: 0,
      headersTimeout: timeouts.headersMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    // Express and signet's endpoints are loaded on the first request for one of them.
    createRequestListener(deps, async () => (await import('./http/app.ts')).createApp(deps)),
  );
  server.timeout = timeouts.idleMs;
  // Answer `Expect: 100-continue` only once the operation starts reading the body (src/http/s3-handler.ts),
  // so an upload refused by its headers (signature, scope, size, key) is never sent: as S3 does.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    (req as IncomingMessage & ExpectingRequest).signetExpectsContinue = true;
    server.emit('request', req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    storage,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          requestLog.close();
          // Resolves once the blob removals that waited for a last flush are done.
          void storage.close().then(resolve, resolve);
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
