/** `signet token create | revoke | list`, against the data directory's database. */
import { Command, Option } from 'commander';
import { buildToken, createdTokenJson } from '../../access/new-token.ts';
import type { Access, TokenSummary } from '../../access/types.ts';
import { bucketNameProblem } from '../../bucket-name.ts';
import { openStorage } from '../../storage/open-storage.ts';
import { dataDirOption, jsonOption, parseDuration } from '../options.ts';
import { printJson, printTable, UserError } from '../output.ts';

// One implementation for the CLI, the programmatic API and --init (src/access/new-token.ts).
export { newAccessKeyId, newSecretAccessKey } from '../../access/new-token.ts';

/** The stable JSON shape of a token (CONTRACT.md); the secret only in `token create`. */
export function tokenJson(t: TokenSummary): Record<string, unknown> {
  return {
    accessKeyId: t.accessKeyId,
    name: t.name,
    access: t.access,
    buckets: t.buckets,
    prefix: t.prefix,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
    createdAt: t.createdAt,
    root: t.root,
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function tokenCommand(): Command {
  const token = new Command('token').description('create, revoke and list access tokens');

  token
    .command('create')
    .description('create a token; prints its secret once')
    .requiredOption('--name <name>', 'a name to recognise the token by')
    .addOption(new Option('--access <access>', 'what the token may do').choices(['read', 'write', 'read-write']).makeOptionMandatory())
    .option('--bucket <bucket>', 'limit to this bucket (repeatable)', collect)
    .option('--prefix <prefix>', 'limit to keys starting with this prefix')
    .option('--expires-in <duration>', 'expire after this long (90s, 15m, 1h, 7d)', parseDuration)
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts) => {
      const buckets: string[] = opts.bucket ?? [];
      for (const b of buckets) {
        const problem = bucketNameProblem(b);
        if (problem) throw new UserError(`invalid bucket name "${b}": a bucket name ${problem}`);
      }
      const t = buildToken(
        { name: opts.name, access: opts.access as Access, buckets, prefix: opts.prefix, expiresInSeconds: opts.expiresIn },
        new Date(),
      );
      const storage = await openStorage(opts.dataDir);
      try {
        storage.meta.insertToken(t);
      } finally {
        storage.close();
      }
      const out = createdTokenJson(t);
      if (opts.json) return printJson(out);
      process.stdout.write(
        `created token "${t.name}" (${t.access}${buckets.length ? ` on ${buckets.join(', ')}` : ' on every bucket'}` +
          `${t.prefix ? `, keys under "${t.prefix}"` : ''}${t.expiresAt ? `, expires ${t.expiresAt}` : ''})\n` +
          `AWS_ACCESS_KEY_ID=${t.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${t.secretAccessKey}\n` +
          `(the secret is shown only now)\n`,
      );
    });

  token
    .command('revoke')
    .description('revoke a token: every request and URL it signed is refused from the next request on')
    .argument('<accessKeyId>')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (accessKeyId: string, opts) => {
      const storage = await openStorage(opts.dataDir);
      let found: TokenSummary | undefined;
      try {
        found = storage.meta.listTokens().find((t) => t.accessKeyId === accessKeyId);
        if (found?.root) throw new UserError('the root token cannot be revoked: change SIGNET_ROOT_SECRET_ACCESS_KEY and restart instead');
        if (!found || !storage.meta.revokeToken(accessKeyId, new Date())) {
          throw new UserError(`no token has the access key id "${accessKeyId}": see \`signet token list\``);
        }
      } finally {
        storage.close();
      }
      if (opts.json) return printJson({ accessKeyId, revoked: true });
      process.stdout.write(`revoked token "${found.name}" (${accessKeyId})\n`);
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts) => {
      const storage = await openStorage(opts.dataDir);
      let tokens: TokenSummary[];
      try {
        tokens = storage.meta.listTokens();
      } finally {
        storage.close();
      }
      if (opts.json) return printJson(tokens.map(tokenJson));
      if (tokens.length === 0) return void process.stdout.write('no tokens\n');
      printTable(
        tokens.map((t) => ({
          accessKeyId: t.accessKeyId,
          name: t.name,
          access: t.access,
          buckets: t.buckets.length ? t.buckets.join(',') : '*',
          prefix: t.prefix ?? '',
          expires: t.expiresAt ?? 'never',
          state: t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? 'expired' : 'active',
        })),
        ['accessKeyId', 'name', 'access', 'buckets', 'prefix', 'expires', 'state'],
      );
    });

  return token;
}
