import type { Queryable } from '../../shared/db/port';
import { Problems } from '../../shared/http/problem';
import { canMove, type Lifecycle } from '../../shared/domain/lifecycles';
import { type Actor, isFacilityActor } from '../../shared/tenancy/actor';

/** Small rules every handler applies the same way. */

export function found<T>(row: T | undefined, what: string): T {
  if (!row) throw Problems.notFound(what);
  return row;
}

/** If-Match, when sent, must name the version the client is changing. */
export function assertVersion(ifMatch: number | undefined, version: number): void {
  if (ifMatch !== undefined && ifMatch !== version) throw Problems.stale();
}

export function assertTransition<S extends string>(machine: Lifecycle<S>, from: S, to: S, what: string): void {
  if (!canMove(machine, from, to)) {
    throw Problems.conflict('invalid-transition', `A ${what} in state ${from} cannot become ${to}.`);
  }
}

/**
 * The tenant a create applies to. Facility roles get theirs from the token and may not name one
 * (mass assignment); dispatchers must name it.
 */
export function tenantForCreate(actor: Actor, requested: string | undefined): string {
  if (isFacilityActor(actor)) {
    if (requested !== undefined) {
      throw Problems.validation([{ path: 'facilityId', message: 'Set from your account; do not send it' }]);
    }
    return actor.facilityId;
  }
  if (!requested) throw Problems.validation([{ path: 'facilityId', message: 'Required: name the tenant' }]);
  return requested;
}

/** SQL predicate builder: parameterised values, explicit facility scoping for facility actors. */
export class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];

  add(sqlWithPlaceholder: string, ...values: unknown[]): this {
    let text = sqlWithPlaceholder;
    for (const value of values) {
      this.values.push(value);
      text = text.replace('?', `$${this.values.length}`);
    }
    this.clauses.push(text);
    return this;
  }

  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  sql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/**
 * `column` within one calendar day (YYYY-MM-DD) of `timeZone`: local midnight to local midnight,
 * converted by Postgres's time zone rules (23 or 25 hours on the days clocks change). Constant
 * bounds, so an index on the column serves the range.
 */
export function withinDay(where: Where, column: string, day: { date: string; timeZone: string }): Where {
  const date = where.param(day.date);
  const zone = where.param(day.timeZone);
  where.clauses.push(`${column} >= (${date}::date::timestamp AT TIME ZONE ${zone}::text)`);
  where.clauses.push(`${column} < ((${date}::date + 1)::timestamp AT TIME ZONE ${zone}::text)`);
  return where;
}

/** The explicit tenant predicate (row-level security is the second lock on the same door). */
export function scopeToActor(where: Where, actor: Actor, column = 'facility_id'): Where {
  if (isFacilityActor(actor)) where.add(`${column} = ?`, actor.facilityId);
  return where;
}

/**
 * The one shape of every `find<Thing>`: a row by the caller's scope, optionally locked. `lockOf`
 * names the alias to lock when the source is a join (lock the row being changed, not its parents).
 */
export async function selectOne<Row>(
  tx: Queryable,
  query: { columns: string; from: string; where: Where; forUpdate?: boolean; lockOf?: string },
): Promise<Row | undefined> {
  const lock = query.forUpdate ? ` FOR UPDATE${query.lockOf ? ` OF ${query.lockOf}` : ''}` : '';
  const { rows } = await tx.query<Row>(`SELECT ${query.columns} FROM ${query.from} ${query.where.sql()}${lock}`,
    query.where.values as never);
  return rows[0];
}
