import Module from 'node:module';
import { join } from 'node:path';

/**
 * Middy (>= 5) ships ESM only, with no `require` entry in its exports map, while tsx runs this
 * project's .ts files as CommonJS. Like the moduleNameMapper in jest.config.js, point `require`
 * at the package's entry file; Node 20.19+ then loads that ES module through require(esm).
 * Imported first by the local stack's entry point; the Lambda bundles never need it.
 */
const ESM_ONLY = /^@middy\/[a-z-]+$/;
const nodeModules = join(__dirname, '..', 'node_modules');

type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
const resolve = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function resolveEsmOnly(this: unknown, request, ...rest) {
  const mapped = ESM_ONLY.test(request) ? join(nodeModules, request, 'index.js') : request;
  return resolve.call(this, mapped, ...rest);
};
