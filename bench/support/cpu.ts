import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Queryable } from '../../lambdas/shared/db/port';
import { round } from './stats';

/**
 * CPU spent by this process and by the database's backends over a measurement. On a shared
 * machine the wall-clock throughput of P7 and P8 depends on what else runs; the CPU cost per
 * item does much less, so it is reported beside the measured figure together with the load
 * average, and an estimate of what an idle machine of the same size would reach.
 *
 * Backend CPU comes from /proc (Linux, server on this machine, readable by this user); where it
 * is not available, only this process is counted and the estimate is left out.
 */
const TICKS_PER_SECOND = 100;

/** CPU seconds of a process; 'gone' when it ended meanwhile; undefined when /proc cannot tell. */
function backendCpuSeconds(pid: number): number | 'gone' | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
    if (!fields) return undefined;
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
}

async function databaseCpu(admin: Queryable): Promise<Map<number, number> | undefined> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const usage = new Map<number, number>();
  for (const row of rows) {
    const seconds = backendCpuSeconds(row.pid);
    if (seconds === undefined) return undefined;
    if (seconds !== 'gone') usage.set(row.pid, seconds);
  }
  return usage;
}

export interface CpuReport {
  /** CPU seconds of this Node process. */
  nodeSeconds: number;
  /** CPU seconds of the database backends (null when they cannot be read). */
  databaseSeconds: number | null;
  wallSeconds: number;
  loadAverage1m: number;
  /** Items per second an otherwise idle machine with this many cores would reach at this cost. */
  idleMachineEstimate: number | null;
  cpuMicrosecondsPerItem: { node: number; database: number | null };
}

export async function measureCpu<T>(admin: Queryable, cores: number, work: () => Promise<T>, items: (result: T) => number): Promise<{ result: T; cpu: CpuReport }> {
  const load = loadavg()[0] ?? 0;
  const databaseBefore = await databaseCpu(admin);
  // Backends come and go with their connections: the last reading of each counts.
  const databaseLatest = new Map(databaseBefore);
  let readable = databaseBefore !== undefined;
  let sampling = Promise.resolve();
  const sample = async () => {
    const now = await databaseCpu(admin).catch(() => undefined);
    if (!now) readable = false;
    else for (const [pid, seconds] of now) databaseLatest.set(pid, seconds);
  };
  const sampler = setInterval(() => {
    sampling = sampling.then(sample);
  }, 100);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  let result: T;
  try {
    result = await work();
  } finally {
    clearInterval(sampler);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const nodeUsage = process.cpuUsage(nodeBefore);
  await sampling;
  await sample();
  const databaseAfter = readable ? databaseLatest : undefined;
  const nodeSeconds = (nodeUsage.user + nodeUsage.system) / 1e6;
  let databaseSeconds: number | null = null;
  if (databaseBefore && databaseAfter) {
    databaseSeconds = 0;
    for (const [pid, seconds] of databaseAfter) databaseSeconds += seconds - (databaseBefore.get(pid) ?? 0);
  }
  const count = Math.max(1, items(result));
  const nodePerItem = nodeSeconds / count;
  const databasePerItem = databaseSeconds === null ? null : databaseSeconds / count;
  // Node runs on one core; the database spreads over the rest, and both share the machine.
  const idleMachineEstimate = databasePerItem === null
    ? null
    : round(Math.min(1 / nodePerItem, cores / (nodePerItem + databasePerItem)), 0);
  return {
    result,
    cpu: {
      nodeSeconds: round(nodeSeconds, 2),
      databaseSeconds: databaseSeconds === null ? null : round(databaseSeconds, 2),
      wallSeconds: round(wallSeconds, 2),
      loadAverage1m: round(load, 2),
      idleMachineEstimate,
      cpuMicrosecondsPerItem: {
        node: round(nodePerItem * 1e6, 1),
        database: databasePerItem === null ? null : round(databasePerItem * 1e6, 1),
      },
    },
  };
}
