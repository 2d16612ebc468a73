/**
 * The server's settings, resolved once: defaults < environment < flags (CONTRACT.md).
 * Only this module and src/cli read process.env; everything else receives a frozen Config.
 */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  /** Honour `signet clock` offsets stored in the data directory (SIGNET_CLOCK_CONTROL=1) */
  clockControl: boolean;
  /**
   * Serve the browser-upload demo at /_signet/demo/upload and its POST-policy signing helper,
   * signing with this token's access key id (`--demo [ACCESS_KEY_ID]`; the root token when
   * given without one). Undefined = off.
   */
  demoAccessKeyId?: string;
  /** Serve the web inspector to every address, not only loopback (`--inspector-public`) */
  inspectorPublic?: boolean;
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  host: '127.0.0.1',
  port: 9000,
  dataDir: './storage',
  region: 'us-east-1',
  rootAccessKeyId: 'signetadmin',
  rootSecretAccessKey: 'signetadmin-secret',
  clockControl: false,
});

/** Environment variable for each setting, as in CONTRACT.md. */
export const ENV_NAMES = Object.freeze({
  host: 'SIGNET_HOST',
  port: 'SIGNET_PORT',
  dataDir: 'SIGNET_DATA_DIR',
  region: 'SIGNET_REGION',
  rootAccessKeyId: 'SIGNET_ROOT_ACCESS_KEY_ID',
  rootSecretAccessKey: 'SIGNET_ROOT_SECRET_ACCESS_KEY',
  clockControl: 'SIGNET_CLOCK_CONTROL',
} as const);

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates and freezes. Throws ConfigError with one actionable line. */
export function validateConfig(config: Config): Readonly<Config> {
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`invalid port ${config.port}: use a whole number from 0 to 65535 (0 = any free port)`);
  }
  if (!config.host) throw new ConfigError('the host may not be empty');
  if (!config.dataDir) throw new ConfigError('the data directory may not be empty');
  if (!/^[a-z0-9-]+$/.test(config.region)) throw new ConfigError(`invalid region "${config.region}": use a region name such as us-east-1`);
  if (!/^[A-Za-z0-9._-]{3,128}$/.test(config.rootAccessKeyId)) {
    throw new ConfigError('the root access key id must be 3 to 128 characters of A-Z a-z 0-9 . _ -');
  }
  if (config.rootSecretAccessKey.length < 8) throw new ConfigError('the root secret access key must be at least 8 characters');
  return Object.freeze({ ...config });
}

export interface Clock {
  now(): Date;
  /** How far this clock is shifted from the system's, in ms (clock control); 0 or absent = not shifted */
  offsetMs?(): number;
}

export const systemClock: Clock = { now: () => new Date() };
