import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AssetStaging } from 'aws-cdk-lib';
import { routes } from '../../lambdas/api/routes';
import { PROJECT_ROOT } from '../../lib/constructs/lambda-bundle';
import { CONSOLE_FIXTURE, synthesise } from './synth';

/**
 * `npm run synth` works on a machine with no AWS credentials, and synthesis is deterministic:
 * the CLI's templates and asset manifests (bundled Lambda code included, through the asset
 * hashes) are byte-for-byte those of a second, independent synth in this process.
 */
// Both outputs at the same depth under the project, so bundles reference sources the same way.
const cliOut = join(PROJECT_ROOT, 'cdk.out', `test-cli-${process.pid}`);
const inProcessOut = join(PROJECT_ROOT, 'cdk.out', `test-in-process-${process.pid}`);
let cli: ReturnType<typeof spawnSync>;

function withoutAwsCredentials(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_DEFAULT_)/.test(name)) env[name] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: join(inProcessOut, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(inProcessOut, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

function outputs(dir: string): Map<string, string> {
  const files = readdirSync(dir).filter((name) => name.endsWith('.template.json') || name.endsWith('.assets.json'));
  return new Map(files.sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

beforeAll(() => {
  // Both synths serve the committed console fixture, so no test ever builds the console.
  cli = spawnSync('npm', ['run', 'synth', '--', '--output', cliOut, '-c', `consoleAssetsDir=${CONSOLE_FIXTURE}`], {
    cwd: PROJECT_ROOT,
    env: withoutAwsCredentials(),
    encoding: 'utf8',
    timeout: 480_000,
  });
  // A fresh staging cache, so this synth bundles every function again instead of reusing results.
  AssetStaging.clearAssetHashCache();
  synthesise({
    env: 'dev',
    routes,
    nag: true,
    bundle: true,
    outdir: inProcessOut,
    context: {
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:version-reporting': false,
    },
  });
}, 600_000);

afterAll(() => {
  rmSync(cliOut, { recursive: true, force: true });
  rmSync(inProcessOut, { recursive: true, force: true });
});

test('npm run synth exits 0 without AWS credentials', () => {
  expect({ status: cli.status, stderr: cli.status === 0 ? '' : String(cli.stderr).slice(-4000) }).toEqual({ status: 0, stderr: '' });
  expect(existsSync(join(cliOut, 'manifest.json'))).toBe(true);
});

test('it synthesises all nine stacks of the default (dev) environment, with no lookups', () => {
  const templates = [...outputs(cliOut).keys()].filter((name) => name.endsWith('.template.json'));
  expect(templates.sort()).toEqual(['Api', 'Audit', 'Auth', 'Data', 'EdgeFirewall', 'Keys', 'Messaging', 'Network', 'Observability']
    .map((name) => `Nemt-dev-${name}.template.json`).sort());
  const manifest = JSON.parse(readFileSync(join(cliOut, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
  expect(manifest.missing ?? []).toEqual([]);
});

test('the Lambda code was bundled, with the schema next to the migration handler', () => {
  const assets = readdirSync(cliOut).filter((name) => name.startsWith('asset.'));
  const withSchema = assets.filter((name) => existsSync(join(cliOut, name, 'schema', '0001_roles_and_context.sql')));
  expect(withSchema).toHaveLength(1);
  // ES modules: Lambda resolves the handler `index.handler` to index.mjs.
  expect(existsSync(join(cliOut, withSchema[0] as string, 'index.mjs'))).toBe(true);
  expect(existsSync(join(cliOut, withSchema[0] as string, 'index.js'))).toBe(false);
});

test('two independent synths produce identical templates and asset manifests', () => {
  const first = outputs(cliOut);
  const second = outputs(inProcessOut);
  expect([...second.keys()]).toEqual([...first.keys()]);
  for (const [name, content] of first) expect([name, second.get(name) === content]).toEqual([name, true]);
});
