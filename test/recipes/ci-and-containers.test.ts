/**
 * The README's CI and container recipes. The GitHub Actions workflow's shell steps run here as
 * the runner runs them (one bash per step, the job's env). Docker cannot run on these machines:
 * the compose file, the Dockerfile and the Testcontainers snippet are parsed and checked
 * against each other, and the compose service's command, environment and health check are run
 * without a container, with the volumes mapped to host paths.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../src/config.ts';
import { checkInit } from '../../src/init/validate.ts';
import { makeTempDir, PROJECT_ROOT } from '../helpers/spawn-server.ts';
import { cleanEnv, consumerProject, freePort, recipe } from './readme.ts';
import { parseYaml, type Yaml } from './yaml.ts';

type Obj = { [key: string]: Yaml };
const KNOWN_ENV = new Set<string>([...Object.values(ENV_NAMES), 'SIGNET_INIT', 'SIGNET_LOG_FORMAT', 'SIGNET_INSPECTOR_PUBLIC', 'SIGNET_DEMO']);

/** The init file example of the README, as a user's signet.json. */
const initExample = () => JSON.parse(recipe('init-file').code) as { tokens: Array<{ name: string; accessKeyId?: string; secretAccessKey?: string }> };

/** Pids of processes whose command line holds `needle` (to stop what a recipe left running). */
function pidsWith(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return pids;
}

describe('README: GitHub Actions', () => {
  const workflow = parseYaml(recipe('github-actions').code) as Obj;
  const job = (workflow.jobs as Obj).test as Obj;
  const env = job.env as Record<string, string>;
  const steps = job.steps as Obj[];

  it('starts signet in the background with --init, waits on /_signet/health, then runs the tests', () => {
    const runs = steps.map((s) => s.run as string | undefined);
    const start = runs.findIndex((r) => r?.includes('signet serve'));
    const wait = runs.findIndex((r) => r?.includes('/_signet/health'));
    const test = runs.indexOf('npm test');
    expect(start).toBeGreaterThan(runs.indexOf('npm ci'));
    expect(runs[start]).toMatch(/--init signet\.json .*&$/);
    expect(wait).toBeGreaterThan(start);
    expect(test).toBeGreaterThan(wait);
    expect(env.AWS_ENDPOINT_URL).toBe(`http://127.0.0.1:${env.SIGNET_PORT}`);
    // the keys are the "ci" token of the README's init file
    const ci = initExample().tokens.find((t) => t.accessKeyId === env.AWS_ACCESS_KEY_ID);
    expect(ci?.secretAccessKey).toBe(env.AWS_SECRET_ACCESS_KEY);
  });

  describe('its steps, run as the runner runs them', () => {
    let dir: string;
    let runnerTemp: string;
    let jobEnv: Record<string, string>;
    const results: Array<{ name: string; status: number | null; stdout: string; stderr: string }> = [];

    beforeAll(async () => {
      dir = consumerProject();
      runnerTemp = makeTempDir('signet-runner-');
      writeFileSync(join(dir, 'signet.json'), recipe('init-file').code);
      const port = await freePort();
      jobEnv = cleanEnv({ RUNNER_TEMP: runnerTemp, AWS_CONFIG_FILE: join(runnerTemp, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(runnerTemp, 'none') });
      // the workflow's port, moved to a free one: other tests run on this machine
      for (const [k, v] of Object.entries(env)) jobEnv[k] = v.replaceAll(env.SIGNET_PORT!, String(port));
      for (const step of steps) {
        const run = step.run as string | undefined;
        // checkout/setup-node are actions; npm ci is done (node_modules links this checkout)
        if (run === undefined || run === 'npm ci') continue;
        if (run === 'npm test') {
          // the user's tests, here: the AWS CLI with nothing but the job's environment
          const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', 'aws s3api list-buckets --output json > buckets.json && echo up > f.txt && aws s3 cp --only-show-errors f.txt s3://photos/ci/f.txt'], {
            cwd: dir,
            env: jobEnv,
            encoding: 'utf8',
            timeout: 120_000,
          });
          results.push({ name: 'npm test (here: the AWS CLI)', status: r.status, stdout: r.stdout, stderr: r.stderr });
          continue;
        }
        const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', run], { cwd: dir, env: jobEnv, encoding: 'utf8', timeout: 120_000 });
        results.push({ name: (step.name as string) ?? run, status: r.status, stdout: r.stdout, stderr: r.stderr });
      }
    }, 240_000);

    afterAll(async () => {
      for (const pid of pidsWith(join(runnerTemp, 'signet'))) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // exited meanwhile
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
      rmSync(dir, { recursive: true, force: true });
      rmSync(runnerTemp, { recursive: true, force: true });
    });

    it('every step succeeds', () => {
      expect(results.map((r) => [r.name, r.status])).toEqual([
        ['Start signet', 0],
        ['Wait for signet', 0],
        ['npm test (here: the AWS CLI)', 0],
        ["signet's log", 0],
      ]);
    });

    it("the wait step saw the health answer; the job's keys list the init file's buckets and write to one", () => {
      expect(JSON.parse(results[1]!.stdout)).toMatchObject({ status: 'ok' });
      const listed = JSON.parse(readFileSync(join(dir, 'buckets.json'), 'utf8')) as { Buckets: Array<{ Name: string }> };
      expect(listed.Buckets.map((b) => b.Name).sort()).toEqual(['photos', 'site', 'uploads']);
      expect(results[2]!.stderr).toBe('');
    });

    it("signet's log shows the init and the requests, never the secret", () => {
      const log = results[3]!.stdout;
      expect(log).toContain('token "ci" (ci-key-0001, read-write): created');
      expect(log).toMatch(/PUT \/photos\/ci\/f\.txt 200/);
      expect(log).not.toContain(env.AWS_SECRET_ACCESS_KEY);
    });
  });
});

/** `ENV A=1 B=2` and `ENV A 1` lines, the instruction lines with their continuations joined. */
function dockerfile(): { instructions: Array<[string, string]>; env: Record<string, string> } {
  const text = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8').replace(/\\\r?\n\s*/g, ' ');
  const instructions = text
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l): [string, string] => {
      const m = /^\s*(\w+)\s+(.*)$/.exec(l)!;
      return [m[1]!.toUpperCase(), m[2]!.trim()];
    });
  const env: Record<string, string> = {};
  for (const [op, args] of instructions) {
    if (op !== 'ENV') continue;
    for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return { instructions, env };
}

describe('README: docker compose and the Dockerfile (validated: Docker cannot run here)', () => {
  const composeText = readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
  const compose = parseYaml(composeText) as Obj;
  const service = (compose.services as Obj).signet as Obj;
  const environment = service.environment as Record<string, string>;
  const volumes = service.volumes as string[];
  const command = service.command as string[];
  const { instructions, env: imageEnv } = dockerfile();
  const op = (name: string) => instructions.filter(([o]) => o === name).map(([, a]) => a);

  it('the README shows the compose file exactly as it is at the top of the repository', () => {
    expect(recipe('docker-compose').code).toBe(composeText);
  });

  it('the compose service: port 9000, SIGNET_HOST=0.0.0.0, ./storage as the data directory, the health check on /_signet/health', () => {
    expect(service.build).toBe('.');
    expect(service.ports).toEqual([`${environment.SIGNET_PORT}:${environment.SIGNET_PORT}`]);
    expect(environment.SIGNET_PORT).toBe('9000');
    expect(environment.SIGNET_HOST).toBe('0.0.0.0');
    expect(volumes).toContain(`./storage:${environment.SIGNET_DATA_DIR}`);
    const health = service.healthcheck as Obj;
    expect(health.test).toEqual(expect.arrayContaining(['CMD']));
    expect((health.test as string[]).join(' ')).toContain(`http://127.0.0.1:${environment.SIGNET_PORT}/_signet/health`);
    for (const name of Object.keys(environment)) expect(KNOWN_ENV, name).toContain(name);
  });

  it('the compose service runs `signet serve` as PID 1 with --init on a mounted ./.signet/init.json, which is a valid init file', () => {
    // node itself, not npx: `docker compose stop` sends SIGTERM to PID 1 only, and npm exec
    // dies of it without passing it on, leaving signet to be SIGKILLed
    expect(command.slice(0, 3)).toEqual(['node', 'src/cli/bin.cjs', 'serve']);
    const initPath = command[command.indexOf('--init') + 1]!;
    const mount = volumes.find((v) => v.split(':')[1] === initPath);
    expect(mount).toBe(`./.signet/init.json:${initPath}:ro`);
    const file = JSON.parse(readFileSync(join(PROJECT_ROOT, '.signet/init.json'), 'utf8'));
    expect(() => checkInit(file, '.signet/init.json')).not.toThrow();
    // the same file the README documents (its $schema points into this checkout instead of node_modules)
    expect(existsSync(join(PROJECT_ROOT, '.signet', file.$schema))).toBe(true);
    expect({ ...file, $schema: undefined }).toEqual({ ...initExample(), $schema: undefined });
  });

  it('the Dockerfile: listens on 0.0.0.0:9000, data in the /data volume, health on /_signet/health, ships src with tsx', () => {
    expect(op('FROM')[0]).toMatch(/^node:(2\d)\b/);
    expect(imageEnv).toMatchObject({ SIGNET_HOST: '0.0.0.0', SIGNET_PORT: '9000', SIGNET_DATA_DIR: '/data' });
    expect(op('VOLUME')).toEqual(['/data']);
    expect(op('EXPOSE')).toEqual(['9000']);
    expect(op('HEALTHCHECK')[0]).toContain('http://127.0.0.1:9000/_signet/health');
    expect(JSON.parse(op('CMD')[0]!).join(' ')).toMatch(/src\/cli\/bin\.cjs serve$/);
    expect(op('COPY')).toContain('src ./src');
    expect(op('RUN').some((r) => r.includes('npm ci --omit=dev'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
    const ignored = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'storage']));
  });

  it('the compose service, run without a container (volumes mapped to host paths): healthy, the init tokens work, SIGTERM to it exits 0', async () => {
    const dataDir = makeTempDir();
    const port = String(await freePort());
    const hostPath = (p: string) => {
      const mount = volumes.map((v) => v.split(':')).find(([, target]) => target === p);
      if (!mount) return p;
      return mount[0] === './storage' ? dataDir : join(PROJECT_ROOT, mount[0]!);
    };
    const childEnv = cleanEnv({ ...environment, SIGNET_PORT: port, SIGNET_DATA_DIR: hostPath(environment.SIGNET_DATA_DIR!) });
    const proc = spawn(command[0]!, command.slice(1).map(hostPath), { cwd: PROJECT_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 60_000, interval: 200 }).toContain(`signet listening on http://0.0.0.0:${port}`);
      const health = (service.healthcheck as Obj).test as string[];
      const probe = spawnSync(health[1]!, health.slice(2).map((a) => a.replaceAll(':9000', `:${port}`)), { encoding: 'utf8', timeout: 30_000 });
      expect(probe.status).toBe(0);
      const app = initExample().tokens.find((t) => t.name === 'app')!;
      const s3 = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: environment.SIGNET_REGION,
        forcePathStyle: true,
        credentials: { accessKeyId: app.accessKeyId!, secretAccessKey: app.secretAccessKey! },
      });
      await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'from-compose.txt', Body: 'hi' }));
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name).sort()).toEqual(['photos', 'uploads']);
    } finally {
      // what `docker compose stop` does to the container's PID 1
      proc.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);
});

describe('README: Testcontainers for Node (validated: Docker cannot run here)', () => {
  const code = recipe('testcontainers').code;
  const { instructions, env: imageEnv } = dockerfile();

  it('is valid TypeScript', () => {
    const out = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    expect(out.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });

  it("builds signet's Dockerfile, exposes its port and waits on its health endpoint", () => {
    const exposed = instructions.find(([o]) => o === 'EXPOSE')![1];
    expect(code).toMatch(/GenericContainer\.fromDockerfile\('node_modules\/signet-s3'\)\.build\(\)/);
    expect(code).toContain(`.withExposedPorts(${exposed})`);
    expect(code).toContain(`Wait.forHttp('/_signet/health', ${exposed}).forStatusCode(200)`);
    expect(code).toContain(`getMappedPort(${exposed})`);
    expect(imageEnv.SIGNET_PORT).toBe(exposed);
  });

  it('hands the init file in where SIGNET_INIT points, and signs with a token of that file', () => {
    const target = /target: '([^']+)'/.exec(code)![1];
    expect(code).toContain(`SIGNET_INIT: '${target}'`);
    for (const m of code.matchAll(/\b(SIGNET_[A-Z_]+)/g)) expect(KNOWN_ENV).toContain(m[1]);
    const keyId = /accessKeyId: '([^']+)'/.exec(code)![1];
    const secret = /secretAccessKey: '([^']+)'/.exec(code)![1];
    expect(initExample().tokens.find((t) => t.accessKeyId === keyId)?.secretAccessKey).toBe(secret);
  });

  it('calls only methods of the Testcontainers for Node API', () => {
    // testcontainers-node (packages/testcontainers/src): GenericContainer, GenericContainerBuilder,
    // StartedTestContainer, Wait and HttpWaitStrategy, versions 10 and 11
    const api = new Set([
      'fromDockerfile', 'build', 'withExposedPorts', 'withCopyFilesToContainer', 'withEnvironment', 'withWaitStrategy', 'start',
      'forHttp', 'forStatusCode', 'getHost', 'getMappedPort', 'stop',
    ]);
    const sdk = new Set(['send']);
    const called = [...code.matchAll(/\.(\w+)\(/g)].map((m) => m[1]!).filter((name) => !sdk.has(name));
    expect(called.length).toBeGreaterThan(8);
    for (const name of called) expect(api, name).toContain(name);
  });
});
