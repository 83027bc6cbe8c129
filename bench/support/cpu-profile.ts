import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Self time of a V8 CPU profile (`node --cpu-prof`) by where the code came from: the npm package
 * (`node_modules/<name>`), or the project folder (`lambdas/api`, `lambdas/shared/db`, …), found
 * through the source maps of the bundle's files (the entry and its chunks); V8's own entries (garbage collector, program, idle) and Node's
 * internals are named as such. Samples before `boundaryUs` (profile clock) count as init, the rest
 * as the first request.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Breakdown {
  /** Milliseconds of self time per origin, largest first. */
  readonly init: [string, number][];
  readonly request: [string, number][];
}

function originOf(source: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg?.[1]) return pkg[1];
  const project = /(?:^|\/)((?:lambdas|bench|local)\/.+)$/.exec(source);
  return `project: ${project?.[1] ?? source.split('/').slice(-2).join('/')}`;
}

export function profileByOrigin(profilePath: string, bundleFile: string, boundaryUs = Number.POSITIVE_INFINITY): Breakdown {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const bundleDir = dirname(bundleFile);
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string) => {
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (dirname(file) !== bundleDir) return undefined;
    if (!maps.has(file)) maps.set(file, existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : undefined);
    return maps.get(file);
  };
  const origins = new Map<number, string>();
  for (const node of profile.nodes) {
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    let origin: string;
    if (!url) origin = `V8: ${functionName || '(anonymous)'}`;
    // Compiling a script is V8's work inside Node's loader: it shows as the loader's self time.
    else if (url.startsWith('node:')) origin = `Node: ${url.slice('node:'.length)}`;
    else if (mapOf(url)) {
      const entry = (mapOf(url) as SourceMap).findEntry(lineNumber, columnNumber) as { originalSource?: string };
      origin = entry.originalSource ? originOf(entry.originalSource) : 'bundle, unmapped (esbuild module wrappers)';
    } else origin = `other: ${url.split('/').slice(-2).join('/')}`;
    origins.set(node.id, origin);
  }
  const init = new Map<string, number>();
  const request = new Map<string, number>();
  let at = profile.startTime;
  for (const [index, id] of profile.samples.entries()) {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    // A sample stands for the interval that ends at the next one.
    const next = profile.timeDeltas[index + 1] ?? 0;
    const bucket = at < boundaryUs ? init : request;
    const origin = origins.get(id) ?? 'unknown';
    bucket.set(origin, (bucket.get(origin) ?? 0) + next / 1000);
  }
  const sorted = (bucket: Map<string, number>) => [...bucket.entries()].sort((a, b) => b[1] - a[1]);
  return { init: sorted(init), request: sorted(request) };
}

/** A Markdown table of the largest origins (ms and share), the rest summed up. */
export function breakdownTable(rows: readonly [string, number][], top = 14): string {
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  const shown = rows.slice(0, top);
  const rest = rows.slice(top).reduce((sum, [, ms]) => sum + ms, 0);
  const line = (name: string, ms: number) => `| ${name} | ${ms.toFixed(1)} | ${total > 0 ? ((100 * ms) / total).toFixed(0) : '0'} % |`;
  return ['| origin | self ms | share |', '| --- | ---: | ---: |', ...shown.map(([name, ms]) => line(name, ms)),
    ...(rest > 0 ? [line(`${rows.length - top} others`, rest)] : []), `| **total** | **${total.toFixed(1)}** | |`].join('\n');
}
