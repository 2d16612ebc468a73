/** `signet bucket create | list`, against the data directory's database. */
import { Command } from 'commander';
import { bucketNameProblem } from '../../bucket-name.ts';
import { permissiveRule } from '../../http/cors.ts';
import { openStorage } from '../../storage/open-storage.ts';
import { dataDirOption, jsonOption } from '../options.ts';
import { printJson, printTable, UserError } from '../output.ts';

export function bucketCommand(): Command {
  const bucket = new Command('bucket').description('create and list buckets');

  bucket
    .command('create')
    .description('create a bucket (succeeds when it already exists)')
    .argument('<name>')
    .option('--cors-origin <origin...>', 'allow browsers from these origins (a permissive CORS rule for local development)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (name: string, opts) => {
      const problem = bucketNameProblem(name);
      if (problem) throw new UserError(`invalid bucket name "${name}": a bucket name ${problem}`);
      const storage = await openStorage(opts.dataDir);
      let outcome: 'created' | 'exists';
      try {
        outcome = storage.meta.createBucket(name, new Date());
        if (opts.corsOrigin?.length) storage.meta.setBucketCors(name, JSON.stringify([permissiveRule(opts.corsOrigin)]));
      } finally {
        storage.close();
      }
      if (opts.json) return printJson({ name, created: outcome === 'created', corsOrigins: opts.corsOrigin ?? [] });
      process.stdout.write(outcome === 'created' ? `created bucket "${name}"\n` : `bucket "${name}" already exists\n`);
      if (opts.corsOrigin?.length) process.stdout.write(`browsers from ${opts.corsOrigin.join(', ')} may now use it (CORS)\n`);
    });

  bucket
    .command('list')
    .description('list buckets')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts) => {
      const storage = await openStorage(opts.dataDir);
      try {
        const buckets = storage.meta.listBuckets();
        if (opts.json) return printJson(buckets.map((b) => ({ name: b.name, createdAt: b.createdAt })));
        if (buckets.length === 0) return void process.stdout.write('no buckets\n');
        printTable(buckets.map((b) => ({ name: b.name, created: b.createdAt })), ['name', 'created']);
      } finally {
        storage.close();
      }
    });

  return bucket;
}
