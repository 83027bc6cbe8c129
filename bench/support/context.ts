import type { Database } from '../../lambdas/shared/db/port';
import type { Dataset } from './dataset';
import type { BenchDatabase, BenchServer } from './postgres';

/** What every benchmark gets from the runner. */
export interface BenchSettings {
  readonly quick: boolean;
  /** Trip requests in the data set. */
  readonly trips: number;
  /** Timed iterations per variant for latency benchmarks. */
  readonly iterations: number;
  readonly warmup: number;
  /** Fresh Node processes per bundle (P1). */
  readonly processes: number;
  /** Seconds of load (P6) and of concurrent writes (P5). */
  readonly loadSeconds: number;
  readonly throughputSeconds: number;
  /** Outbox rows relayed and delivered (P7). */
  readonly outboxRows: number;
  /** Audit events verified (P8). */
  readonly auditEvents: number;
  /** Board openings per day size, of which P9b takes the median. */
  readonly boardRuns: number;
  /** Active standing orders materialised for 14 days (P10). */
  readonly standingOrderSeries: number;
}

export interface DatabaseContext {
  readonly server: BenchServer;
  readonly database: BenchDatabase;
  readonly dataset: Dataset;
  /** The API's login pool (RLS applies), shared by the handler and its floor. */
  readonly api: Database;
}

export function settingsFor(quick: boolean): BenchSettings {
  return quick
    ? {
      quick,
      trips: 100_000,
      // A p99 is then the 4th-worst sample of 400, not the 3rd of 300; more would take the quick
      // run past a minute on a busy machine.
      iterations: 400,
      warmup: 50,
      processes: 15,
      loadSeconds: 4,
      throughputSeconds: 2,
      outboxRows: 2_000,
      // The timed part of P8 is then about a second: at 100,000 it was half that, and the fixed
      // costs (a plan per statement, the last ranges finishing alone) weighed on the figure.
      auditEvents: 200_000,
      boardRuns: 3,
      standingOrderSeries: 1_000,
    }
    : {
      quick,
      trips: 1_000_000,
      iterations: 2_000,
      warmup: 200,
      processes: 25,
      loadSeconds: 20,
      throughputSeconds: 10,
      outboxRows: 10_000,
      auditEvents: 1_000_000,
      boardRuns: 5,
      standingOrderSeries: 10_000,
    };
}
