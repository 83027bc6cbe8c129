/**
 * `npm run openapi [-- --out <file>]`: writes the OpenAPI 3.1 description of the API, generated
 * from the route table and its zod schemas, to openapi.json (or --out). The file is a build
 * artefact (gitignored): the route table is the source of truth.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildOpenApiDocument } from '../lambdas/api/openapi';
import { CliFailure, runCli, USAGE_EXIT_CODE } from './cli-support';

const COMMAND = 'openapi';
const ROOT = join(__dirname, '..');

runCli(COMMAND, 1, async () => {
  let out: string | undefined;
  try {
    ({ values: { out } } = parseArgs({ options: { out: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new CliFailure(`${COMMAND}: ${(error as Error).message}; usage: openapi [--out <file>]`, USAGE_EXIT_CODE);
  }
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const document = buildOpenApiDocument({ version });
  const target = resolve(out ?? join(ROOT, 'openapi.json'));
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`${COMMAND}: wrote ${Object.keys(document.paths).length} paths to ${target}`);
  return 0;
});
