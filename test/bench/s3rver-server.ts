/**
 * s3rver 3.7.1, the Node S3 emulator users would otherwise pick, in its own process so that
 * its memory and CPU are measured apart from the load generator. It checks no SigV4
 * signature (it accepts any), so every request it serves costs it less than signet's.
 *
 * Usage: node --import tsx s3rver-server.ts DIR [--port N]   (prints "s3rver listening on PORT")
 */
import { createRequire } from 'node:module';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: { port: number; address: string; directory: string; silent: boolean }) => S3rverInstance;

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-server.ts DIR [--port N]');
const portAt = process.argv.indexOf('--port');
const port = portAt === -1 ? 0 : Number(process.argv[portAt + 1]);

// s3rver ships no types; it is CommonJS.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
const server = new S3rver({ port, address: '127.0.0.1', directory, silent: true });
const address = await server.run();
process.stdout.write(`s3rver listening on ${address.port}\n`);
process.on('SIGTERM', () => {
  server.close().finally(() => process.exit(0));
});
