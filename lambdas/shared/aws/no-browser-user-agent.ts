/**
 * Stands in for `bowser`, a browser user-agent parser the SDK's shared client code loads with
 * `import()` for browsers only (an esbuild alias in lib/constructs/lambda-bundle.ts): Node never
 * runs that path, and without the alias the parser would ship as a chunk of every bundle.
 */
export function parse(): never {
  throw new Error('bowser is not bundled for Node: the SDK parses browser user agents in browsers only');
}

export default { parse };
