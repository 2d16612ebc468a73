/**
 * The `signet` command line. Exit status (CONTRACT.md): 0 on success, 1 on a user error (one
 * line on stderr saying what to do), 2 on bad usage.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { bucketCommand } from './commands/bucket.ts';
import { clockCommand } from './commands/clock.ts';
import { explainCommand } from './commands/explain.ts';
import { logCommand } from './commands/log.ts';
import { serveCommand } from './commands/serve.ts';
import { tokenCommand } from './commands/token.ts';
import { UserError } from './output.ts';

export function buildProgram(): Command {
  const program = new Command('signet')
    .description('a local S3-compatible object store that verifies every signed request exactly as AWS S3 does')
    .showHelpAfterError('(run with --help for usage)')
    .addCommand(serveCommand())
    .addCommand(tokenCommand())
    .addCommand(bucketCommand())
    .addCommand(clockCommand())
    .addCommand(logCommand())
    .addCommand(explainCommand());
  // Every command and subcommand reports usage errors the same way (exit 2, below).
  const exitOverrideAll = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverrideAll);
  };
  exitOverrideAll(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof UserError || err instanceof ConfigError) {
      process.stderr.write(`signet: ${err.message}\n`);
      return 1;
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`signet: cannot listen: ${(err as Error).message} (choose another --port or --host)\n`);
      return 1;
    }
    process.stderr.write(`signet: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
// `serve` keeps running until a signal; every other command exits with its status.
if (exitCode !== 0 || process.argv[2] !== 'serve') process.exitCode = exitCode;
