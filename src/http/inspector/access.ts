/**
 * Who may see the inspector. It serves object bytes without a signature and lists tokens, so
 * by default only the machine itself may use it:
 *
 *   remote address   127.0.0.0/8, ::1, or ::ffff:127.x.x.x (IPv4 loopback over an IPv6 socket)
 *   Host header      localhost, *.localhost, an IP literal, or the host the server listens on.
 *                    A page on another site can make a local browser send requests to
 *                    evil.example:9000 after pointing that name at 127.0.0.1 (DNS rebinding);
 *                    the socket is loopback but the Host is not, so it is refused.
 *
 * `serve --inspector-public` lifts both checks. `GET /_signet/requests` also accepts a request
 * signed by the root token from anywhere (for scripts on another machine).
 */
import { isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../../config.ts';
import { hostnameOf } from '../address.ts';

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  return address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/** The Host a browser on this machine sends when it reaches the server directly. */
export function isLocalHostHeader(hostHeader: string | undefined, listenHost: string): boolean {
  const hostname = hostnameOf(hostHeader);
  if (!hostname) return false;
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) !== 0) return true;
  return bare === listenHost.toLowerCase();
}

/** Whether this request may use the inspector's pages. */
export function mayUseInspector(req: Request, config: Readonly<Config>): boolean {
  if (config.inspectorPublic) return true;
  return isLoopbackAddress(req.socket?.remoteAddress) && isLocalHostHeader(req.headers.host, config.host);
}

/** Refuses with 403 and one line saying how to reach the inspector. */
export function inspectorGuard(config: Readonly<Config>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (mayUseInspector(req, config)) return next();
    res
      .status(403)
      .type('text/plain')
      .send(
        'The signet inspector answers only on this machine (loopback address, local Host). ' +
          'Open it at http://127.0.0.1:PORT/_signet/ or start the server with --inspector-public.\n',
      );
  };
}
