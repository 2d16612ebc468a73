/**
 * Starting and stopping the server: opens storage, ensures the root token, listens, and on
 * SIGTERM/SIGINT stops accepting, finishes requests in flight, closes the database and exits 0
 * (CONTRACT.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock, type Config } from './config.ts';
import { createApp, type ExpectingRequest, type RequestRecord } from './http/app.ts';
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
}

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
  const app = createApp({ config, storage, clock, onRequestDone });
  const server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 }, app);
  // Answer `Expect: 100-continue` only once the request is authenticated (src/http/app.ts), so
  // a refused upload is never sent: as S3 does.
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
          storage.close();
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
