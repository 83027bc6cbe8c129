// Middy ships ESM only; let tsx's CommonJS require it (as the local stack does).
import '../local/esm-only';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOOR_SOURCE, runColdRequests } from './p1-cold-request';
import { bundleLambda } from '../lib/constructs/lambda-bundle';
import { dummyEnvironment, entryEnvironment, environmentThatLoads, NETWORK_GUARD } from './p1-bundles';
import { settingsFor } from './support/context';
import { breakdownTable, profileByOrigin } from './support/cpu-profile';
import { startBenchServer } from './support/postgres';

/**
 * `npx tsx bench/p1-profile.ts [folder]`: one CPU-profiled cold process each for the API and the
 * intake bundle (built by the construct's own build), set up as P1's cold request is, and their self
 * time by package or project folder, init and first request apart, as Markdown on stdout. The
 * .cpuprofile files stay in the folder (default bench/results/profiles, not committed), for
 * Chrome DevTools or speedscope.
 */
const ROOT = join(__dirname, '..');
const ENTRIES = ['lambdas/api/handler.ts', 'lambdas/intake/handler.ts'];

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const profileDir = process.argv[2] ?? join(ROOT, 'bench', 'results', 'profiles');
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'nemt-p1-profile-'));
  const server = await startBenchServer();
  try {
    const guard = join(work, 'network-guard.cjs');
    writeFileSync(guard, NETWORK_GUARD);
    const bundles = [];
    for (const [index, entry] of ENTRIES.entries()) {
      const file = bundleLambda(entry, join(work, 'out', String(index))).entryFile;
      const { env } = await environmentThatLoads(file, guard, { ...dummyEnvironment(), ...entryEnvironment(entry) });
      bundles.push({ entry, file, env });
    }
    const floorFile = bundleLambda(FLOOR_SOURCE, join(work, 'out', 'floor')).entryFile;
    const { absolute } = await runColdRequests({
      settings: settingsFor(true), server, work, bundles, floorFile, profileDir,
      writePreload: (name, text) => {
        const file = join(work, name);
        writeFileSync(file, text);
        return file;
      },
    });
    const profiles = absolute.profiles as { entry: string; dir: string; boundaryUs?: number; initMs?: number; requestMs?: number }[];
    for (const profile of profiles) {
      const file = readdirSync(profile.dir).find((name) => name.endsWith('.cpuprofile'));
      const bundleFile = bundles.find((candidate) => candidate.entry === profile.entry)?.file;
      if (!file || !bundleFile) throw new Error(`no profile for ${profile.entry}`);
      const breakdown = profileByOrigin(join(profile.dir, file), bundleFile, profile.boundaryUs);
      process.stdout.write(`\n#### ${profile.entry}: init ${profile.initMs?.toFixed(1)} ms, first request ${profile.requestMs?.toFixed(1)} ms (this run, profiled)\n\n`);
      process.stdout.write(`Init:\n\n${breakdownTable(breakdown.init)}\n\nFirst request:\n\n${breakdownTable(breakdown.request)}\n`);
    }
    process.stdout.write(`\nProfiles: ${profileDir}\n`);
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
