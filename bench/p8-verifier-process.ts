import { getHeapStatistics } from 'node:v8';
import { verifyAuditChains } from '../lambdas/shared/audit/verify';
import { createPgDatabase } from '../lambdas/shared/db/pg-adapter';

/**
 * P8's verifier, in a process of its own as `npm run audit:verify` runs it (a pool of
 * `concurrency` connections, the default batch size), started by bench/p8-audit-verify.ts with a
 * small heap limit: it can only finish if it streams. Prints one JSON line with what it measured.
 * Environment: BENCH_AUDITOR_URL (the auditor login's connection string), BENCH_CONCURRENCY.
 */
async function main(): Promise<void> {
  const url = process.env.BENCH_AUDITOR_URL;
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? '4');
  if (!url) throw new Error('BENCH_AUDITOR_URL is not set');
  const db = createPgDatabase({ connectionString: url, max: concurrency, applicationName: 'nemt-bench-audit-verify' });
  try {
    // Connections open before the clock starts, as they would be a moment into a real run.
    await Promise.all(Array.from({ length: concurrency }, () => db.query('SELECT 1')));
    const before = process.memoryUsage();
    let rssPeak = before.rss;
    let heapPeak = before.heapUsed;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      rssPeak = Math.max(rssPeak, now.rss);
      heapPeak = Math.max(heapPeak, now.heapUsed);
    }, 20);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await verifyAuditChains(db, { concurrency });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(sampler);
    process.stdout.write(`${JSON.stringify({
      result,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rssBeforeMb: before.rss / 2 ** 20,
      rssPeakMb: rssPeak / 2 ** 20,
      heapBeforeMb: before.heapUsed / 2 ** 20,
      heapPeakMb: heapPeak / 2 ** 20,
      heapLimitMb: getHeapStatistics().heap_size_limit / 2 ** 20,
    })}\n`);
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
