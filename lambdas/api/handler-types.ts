import type { PiiCrypto, RiderKey } from '../shared/crypto/pii';
import type { Database, Queryable } from '../shared/db/port';
import type { HttpProblem } from '../shared/http/problem';
import type { IdentityAdmin } from '../shared/identity/port';
import type { OutboxPublisher } from '../shared/outbox/publisher';
import type { TokenVerifier } from '../shared/auth/verifier';
import type { Actor } from '../shared/tenancy/actor';
import type { AuditEvent } from '../shared/audit/record';
import type { OutboxMessage } from '../shared/outbox/write';
import type { Route, RouteBody, RouteById, RouteParams, RouteQuery } from './routes';

export interface ApiSettings {
  /** Length of the pickup window riders are told about, starting at the scheduled pickup time. */
  pickupWindowMinutes: number;
  /** Name riders see in notifications. */
  providerName: string;
  /** The provider's IANA time zone: the days of `GET /v1/legs?date=` and the times in messages. */
  timeZone: string;
  /**
   * A completion whose odometer start is more than this above the vehicle's last reading, or whose
   * leg is longer than this, is refused as a likely typo (MAX_ODOMETER_JUMP_MILES, default 300).
   */
  maxOdometerJumpMiles: number;
  /** Days of trips a standing order's series has ahead of today (STANDING_ORDER_HORIZON_DAYS, default 14). */
  standingOrderHorizonDays?: number;
}

/** Everything a handler may reach, chosen once at the edge (Lambda entry or local stack). */
export interface ApiDependencies {
  db: Database;
  verifier: TokenVerifier;
  outbox: OutboxPublisher;
  identity: IdentityAdmin;
  /** Field-level encryption of rider PII (KMS in AWS, the local master key in tests and the local stack). */
  pii: PiiCrypto;
  settings: ApiSettings;
}

export interface RouteContext<R extends Route> {
  readonly actor: Actor;
  readonly requestId: string;
  readonly params: RouteParams<R>;
  readonly query: RouteQuery<R>;
  readonly body: RouteBody<R>;
  /** The version named by If-Match, when the client sent one. */
  readonly ifMatch: number | undefined;
  /** The request's one transaction, already carrying the actor's tenant context. */
  readonly tx: Queryable;
  readonly deps: ApiDependencies;
  /** Appends an audit event for this actor and request to the transaction. */
  audit(event: Omit<AuditEvent, 'actor'>): Promise<void>;
  /** Writes an outbox row in the transaction; it is handed to the queue after commit. */
  notify(message: OutboxMessage): Promise<void>;
  /**
   * `audit(event)` then `notify(message)` in one statement: for a handler whose last writes are
   * exactly these two, one round trip instead of two.
   */
  auditAndNotify(event: Omit<AuditEvent, 'actor'>, message: OutboxMessage): Promise<void>;
}

export interface RouteResult {
  status?: number;
  /**
   * The JSON answer, or a function building it from what the handler already holds (rows, keys):
   * called once the transaction's work is done, while its COMMIT travels, so CPU-only work
   * (opening sealed fields, mapping a page) overlaps that round trip. It must not touch the
   * transaction, which is closed by then.
   */
  body?: unknown;
  /** The resource version, sent back as the ETag. */
  version?: number;
  headers?: Record<string, string>;
  /** For non-JSON answers (CSV export). */
  text?: { contentType: string; body: string };
  /**
   * The answer carries this rider's PII: its idempotency record is sealed with the rider's data
   * key, so it never holds plaintext and dies with the key when the rider is erased.
   */
  sealWith?: RiderKey;
}

export type RouteHandler<R extends Route> = (context: RouteContext<R>) => Promise<RouteResult>;

export type ApiRoute = Extract<Route, { function: 'api' | 'users' }>;
export type ApiRouteId = ApiRoute['id'];

/** One handler per API route; the type makes a missing or extra binding a compile error. */
export type HandlerTable = { [Id in ApiRouteId]: RouteHandler<RouteById<Id>> };

/** The answer's body, built now if the handler deferred it. */
export function bodyOf(result: { body?: unknown }): unknown {
  return typeof result.body === 'function' ? (result.body as () => unknown)() : result.body;
}

/**
 * Thrown by a handler when the database refused its change and the answer needs a look at the
 * data the refusal concerns (which leg a double booking clashes with). The failed transaction is
 * rolled back first; `explain` then runs in a new read-only transaction under the same actor, so
 * the database stays the only judge and row-level security shapes what the answer can name.
 */
export class RefusalToExplain extends Error {
  constructor(
    /** The database's own refusal: answered as usual if explaining it fails. */
    readonly refusal: unknown,
    readonly explain: (tx: Queryable) => Promise<HttpProblem>,
  ) {
    super('a refusal to explain after rollback');
    this.name = 'RefusalToExplain';
  }
}
