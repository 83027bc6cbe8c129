import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Database, Queryable } from '../lambdas/shared/db/port';
import type { BenchSettings, DatabaseContext } from './support/context';
import { runChild } from './support/child';
import { measureCpu } from './support/cpu';
import { progressReporter, status } from './support/output';
import { type BenchmarkOutcome, check } from './support/results';
import { round } from './support/stats';

/**
 * P8: verifying the audit hash chains over N events (1,000,000 in a full run) with the verifier
 * as the operator script runs it (`npm run audit:verify`: its own process, concurrency 4), as the
 * auditor login.
 *
 * The chains are generated in Postgres by a PL/pgSQL loop that computes each event's hash from
 * the trigger's own canonical form (audit_canonical) and its predecessor's hash, then inserts a
 * tenant's chain in one statement with the chaining trigger skipped, and sets the chain heads as
 * the trigger would have left them. Inserting through the trigger instead locks and updates the
 * tenant's head row once per event; within one statement each update adds a row version the
 * next lookup walks past, so a tenant's chain costs quadratic time (measured: minutes for 1M).
 * The verifier runs in a process of its own with a heap too small to hold the events, and its
 * memory is sampled while it runs: it must stream keyset batches to finish at all.
 */
const CHAINS = 200;
const VERIFY_CONCURRENCY = 4;
/**
 * Memory flat means: the verifier finishes in a process whose heap cannot hold the events
 * (≈ 600 B each: 600 MB for a million) and its resident set grows by no more than a few batches
 * in flight and collector slack.
 */
const HEAP_LIMIT_MB = 64;
const RSS_GROWTH_LIMIT_MB = 128;
const ROOT = join(__dirname, '..');

const GENERATOR = `
CREATE FUNCTION pg_temp.bench_audit_chain(p_facility uuid, p_count integer, p_base timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  e audit_events;
  prev text := repeat('0', 64);
  chain audit_events[] := '{}';
BEGIN
  FOR i IN 1 .. p_count LOOP
    e.chain_key := p_facility;
    e.seq := i;
    e.facility_id := p_facility;
    e.occurred_at := p_base + i * interval '1 second';
    e.actor_sub := md5(p_facility::text || i)::uuid;
    e.actor_role := CASE WHEN i % 3 = 0 THEN 'Dispatcher' ELSE 'FacilityAdmin' END;
    e.entity_type := CASE WHEN i % 2 = 0 THEN 'trip_request' ELSE 'trip_leg' END;
    e.entity_id := md5(i::text || p_facility::text)::uuid;
    e.action := CASE WHEN i % 2 = 0 THEN 'trip_request.created' ELSE 'trip_leg.assigned' END;
    e.to_state := CASE WHEN i % 2 = 0 THEN 'requested' ELSE 'assigned' END;
    e.request_id := 'bench-' || i;
    e.details := jsonb_build_object('bench', i);
    e.prev_hash := prev;
    e.hash := encode(sha256(convert_to(prev || '|' || audit_canonical(e), 'UTF8')), 'hex');
    prev := e.hash;
    chain := chain || e;
  END LOOP;
  INSERT INTO audit_events (chain_key, seq, facility_id, trip_request_id, occurred_at, actor_sub, actor_role, entity_type,
                            entity_id, action, from_state, to_state, request_id, details, prev_hash, hash)
  SELECT c.chain_key, c.seq, c.facility_id, c.trip_request_id, c.occurred_at, c.actor_sub, c.actor_role, c.entity_type,
         c.entity_id, c.action, c.from_state, c.to_state, c.request_id, c.details, c.prev_hash, c.hash
    FROM unnest(chain) AS c;
  INSERT INTO audit_chain_heads (chain_key, last_seq, last_hash) VALUES (p_facility, p_count, prev)
    ON CONFLICT (chain_key) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash;
  RETURN p_count;
END
$$`;

/**
 * Generates `events` audit events over CHAINS new tenants' chains, in two parallel sessions.
 * New tenants, so the chains start at seq 1 beside whatever earlier benchmarks wrote through the
 * trigger (P5's requests), which the verification then covers too.
 */
export async function generateAuditChains(owner: Database, events: number, progress: (done: number) => void): Promise<number> {
  const { rows } = await owner.query<{ id: string }>(
    `INSERT INTO facilities (kind, name) SELECT 'facility', 'Audit bench ' || i FROM generate_series(1, $1::int) AS i RETURNING id`,
    [CHAINS],
  );
  const perChain = Math.floor(events / rows.length);
  const counts = rows.map((_, index) => perChain + (index < events - perChain * rows.length ? 1 : 0));
  let done = 0;
  const part = (offset: number) => owner.transaction(async (tx: Queryable) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await tx.query(GENERATOR);
    for (let index = offset; index < rows.length; index += 2) {
      await tx.query('SELECT pg_temp.bench_audit_chain($1, $2, $3)', [(rows[index] as { id: string }).id, counts[index] as number,
        '2030-01-01T00:00:00Z']);
      done += counts[index] as number;
      progress(done);
    }
    await tx.query('DROP FUNCTION pg_temp.bench_audit_chain(uuid, integer, timestamptz)');
  });
  await Promise.all([part(0), part(1)]);
  await owner.query('VACUUM (ANALYZE) audit_events, audit_chain_heads');
  return done;
}

interface VerifierReport {
  result: { ok: boolean; events: number; chains: number };
  seconds: number;
  cpuSeconds: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  heapBeforeMb: number;
  heapPeakMb: number;
  heapLimitMb: number;
}

/** Runs bench/p8-verifier-process.ts with a heap too small to hold the events. */
async function runVerifierProcess(auditorUrl: string): Promise<VerifierReport> {
  const { code, out, err } = await runChild(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(__dirname, 'p8-verifier-process.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      BENCH_AUDITOR_URL: auditorUrl,
      BENCH_CONCURRENCY: String(VERIFY_CONCURRENCY),
      NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}`,
    },
  });
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0) throw new Error(`the verifier process exited with ${code}: ${(err || out).trim().slice(-400)}`);
  try {
    return JSON.parse(line) as VerifierReport;
  } catch {
    throw new Error(`the verifier process printed no report: ${line.slice(0, 200)}`);
  }
}

export async function runP8(settings: BenchSettings, context: DatabaseContext): Promise<BenchmarkOutcome> {
  const generationStarted = performance.now();
  const report = progressReporter('P8 generating audit chains');
  const generated = await generateAuditChains(context.database.owner, settings.auditEvents, (done) => report(done, settings.auditEvents));
  const generationSeconds = (performance.now() - generationStarted) / 1000;
  const { rows: counted } = await context.database.owner.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
  const events = Number(counted[0]?.n ?? 0);

  status(`P8 verifying ${events.toLocaleString('en-US')} events (heap limit ${HEAP_LIMIT_MB} MB)`);
  const { result: verifier, cpu } = await measureCpu(context.database.owner, cpus().length,
    () => runVerifierProcess(context.database.url('auditor')), (outcome) => outcome.result.events);
  // The clock and the Node CPU are the verifier process's own (its start-up is not the verifier's).
  const nodePerEvent = verifier.cpuSeconds / Math.max(1, verifier.result.events);
  const databasePerEvent = cpu.databaseSeconds === null ? null : cpu.databaseSeconds / Math.max(1, verifier.result.events);
  const cores = cpus().length;
  const idleMachineEstimate = databasePerEvent === null
    ? null
    : round(Math.min(1 / nodePerEvent, cores / (nodePerEvent + databasePerEvent)), 0);
  const { result } = verifier;
  const eventsPerSecond = round(result.events / verifier.seconds, 0);
  const rssGrowth = round(verifier.rssPeakMb - verifier.rssBeforeMb, 1);
  return {
    value: eventsPerSecond,
    floor: null,
    ratio: null,
    unit: 'events/s',
    checks: [
      check('events/s', eventsPerSecond, 'min', 200_000),
      check('chains intact (0 = yes)', result.ok ? 0 : 1, 'max', 0),
      check('events verified − events stored', result.events - events, 'max', 0),
      check('peak RSS growth MB', rssGrowth, 'max', RSS_GROWTH_LIMIT_MB),
    ],
    absolute: {
      events: result.events,
      generatedEvents: generated,
      chains: result.chains,
      ok: result.ok,
      seconds: round(verifier.seconds, 2),
      concurrency: VERIFY_CONCURRENCY,
      memory: {
        note: `verified in a process whose heap is capped at ${HEAP_LIMIT_MB} MB; holding the events would take ≈ ${
          round((result.events * 600) / 2 ** 20, 0)} MB`,
        heapLimitMb: round(verifier.heapLimitMb, 0),
        heapBeforeMb: round(verifier.heapBeforeMb, 1),
        heapPeakMb: round(verifier.heapPeakMb, 1),
        rssBeforeMb: round(verifier.rssBeforeMb, 1),
        rssPeakMb: round(verifier.rssPeakMb, 1),
      },
      cpu: {
        verifierProcessSeconds: round(verifier.cpuSeconds, 2),
        databaseSeconds: cpu.databaseSeconds,
        loadAverage1m: cpu.loadAverage1m,
        cpuMicrosecondsPerEvent: { node: round(nodePerEvent * 1e6, 1), database: databasePerEvent === null ? null : round(databasePerEvent * 1e6, 1) },
        idleMachineEstimate,
      },
      generation: { seconds: round(generationSeconds, 1), method: 'PL/pgSQL loop per chain, one INSERT per chain, trigger skipped' },
    },
  };
}
