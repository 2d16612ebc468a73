/**
 * One signet app on 127.0.0.1, port 0, with a fresh data directory, plus the clients the
 * operation tests use: the real @aws-sdk/client-s3 (path-style, default checksum settings)
 * and a fetch signed with @smithy/signature-v4 for requests the SDK will not send.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { DEFAULTS, systemClock, validateConfig, type Config } from '../../../src/config.ts';
import { createApp } from '../../../src/http/app.ts';
import { openStorage } from '../../../src/storage/open-storage.ts';
import type { Storage } from '../../../src/storage/types.ts';

export const ROOT = { accessKeyId: 'opsroot', secretAccessKey: 'opsroot-secret-0123456789' };

export interface TestServer {
  endpoint: string;
  port: number;
  config: Readonly<Config>;
  storage: Storage;
  client: S3Client;
  /** An SDK client for other credentials (e.g. a scoped token). */
  clientFor(credentials: { accessKeyId: string; secretAccessKey: string }): S3Client;
  /** A request signed with SigV4 (header auth), sent with fetch. */
  signedFetch(method: string, path: string, opts?: SignedFetchOptions): Promise<RawResponse>;
  /** The URL and headers signedFetch would send (with the root credentials), for a request sent by hand. */
  signRequest(method: string, path: string, opts?: SignedFetchOptions): Promise<{ url: string; headers: Record<string, string> }>;
  close(): Promise<void>;
}

export interface SignedFetchOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

export async function startTestServer(opts: { region?: string } = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'signet-ops-'));
  const region = opts.region ?? 'us-east-1';
  const config = validateConfig({
    ...DEFAULTS,
    dataDir,
    port: 0,
    region,
    rootAccessKeyId: ROOT.accessKeyId,
    rootSecretAccessKey: ROOT.secretAccessKey,
  });
  const storage = await openStorage(dataDir);
  storage.meta.upsertRootToken(ROOT.accessKeyId, ROOT.secretAccessKey, new Date());
  const app = createApp({ config, storage, clock: systemClock });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const clientFor = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials });
    clients.push(client);
    return client;
  };
  const signer = new SignatureV4({ credentials: ROOT, region, service: 's3', sha256: Sha256, uriEscapePath: false });

  async function signRequest(method: string, path: string, o: SignedFetchOptions = {}): Promise<{ url: string; headers: Record<string, string> }> {
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    const request = new HttpRequest({
      method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path,
      query: o.query ?? {},
      headers: { host: `127.0.0.1:${port}`, ...(o.headers ?? {}) },
      body,
    });
    const signed = await signer.sign(request);
    const qs = new URLSearchParams(o.query ?? {}).toString().replace(/\+/g, '%20');
    const headers = { ...signed.headers };
    delete headers.host;
    return { url: `${endpoint}${path}${qs ? `?${qs}` : ''}`, headers };
  }

  return {
    endpoint,
    port,
    config,
    storage,
    client: clientFor(ROOT),
    clientFor,
    async signedFetch(method, path, o = {}) {
      const body = o.body === undefined ? undefined : Buffer.from(o.body);
      const { url, headers } = await signRequest(method, path, o);
      const res = await fetch(url, { method, headers, body });
      const buf = Buffer.from(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, body: buf, text: buf.toString('utf8') };
    },
    signRequest,
    async close() {
      for (const client of clients) client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An error thrown by the SDK, for asserting on S3's answer. */
export async function s3Failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined; error: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } } & Record<string, unknown>;
    return { name: e.name, status: e.$metadata?.httpStatusCode, error: e };
  }
  throw new Error('expected the request to fail, but it succeeded');
}

/** A bucket name unique within the test run. */
let counter = 0;
export function bucketName(prefix = 'ops'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}
