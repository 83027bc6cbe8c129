import { randomUUID } from 'node:crypto';
import { type AuditEvent, recordAuditEvent } from '../../lambdas/shared/audit/record';
import { chainKeyRanges, GENESIS_HASH, PROVIDER_CHAIN_KEY, verifyAuditChains } from '../../lambdas/shared/audit/verify';
import { type Database, DatabaseError, type Queryable, type SqlParam, SqlState } from '../../lambdas/shared/db/port';
import type { Actor, FacilityActor, StaffActor } from '../../lambdas/shared/tenancy/actor';
import { withActor } from '../../lambdas/shared/tenancy/with-actor';
import { createDataApiDatabase } from '../../lambdas/shared/db/data-api-adapter';
import { writeOutboxWithAudit } from '../../lambdas/shared/outbox/write';
import { installDataApiFake } from '../support/data-api-fake';
import { createRider, createTripRequest } from '../support/fixtures';
import { createTestDatabase, type TestDatabase, useTestDatabase } from '../support/database';

const db = useTestDatabase();

interface StoredEvent {
  id: string;
  chain_key: string;
  seq: string;
  facility_id: string | null;
  prev_hash: string;
  hash: string;
}

async function newFacility(owner: Database): Promise<string> {
  const { rows } = await owner.query<{ id: string }>("INSERT INTO facilities (kind, name) VALUES ('facility', 'Audit test') RETURNING id");
  const id = rows[0]?.id;
  if (!id) throw new Error('facility not created');
  return id;
}

function dispatcher(): StaffActor {
  return { sub: randomUUID(), role: 'Dispatcher' };
}

function facilityAdmin(facilityId: string): FacilityActor {
  return { sub: randomUUID(), role: 'FacilityAdmin', facilityId };
}

function eventFor(actor: Actor, facilityId: string | null, action = 'trip_request.updated'): AuditEvent {
  return {
    facilityId,
    actor,
    entityType: 'trip_request',
    entityId: randomUUID(),
    action,
    fromState: 'requested',
    toState: 'scheduled',
    details: { changedFields: ['pickupAt'], legCount: 2 },
  };
}

async function record(database: Database, actor: Actor, facilityId: string | null, count: number): Promise<void> {
  await withActor(database, actor, async (tx) => {
    for (let i = 0; i < count; i += 1) await recordAuditEvent(tx, eventFor(actor, facilityId, `test.action_${i}`));
  });
}

async function chainOf(owner: Database, chainKey: string): Promise<StoredEvent[]> {
  const { rows } = await owner.query<StoredEvent>(
    'SELECT id, chain_key, seq, facility_id, prev_hash, hash FROM audit_events WHERE chain_key = $1 ORDER BY seq',
    [chainKey],
  );
  return rows;
}

/** Changes rows the way only someone with the owner's power could: with the triggers switched off. */
async function tamper(owner: Database, work: (tx: Queryable) => Promise<unknown>): Promise<void> {
  await owner.transaction(async (tx) => {
    await tx.query('SET LOCAL session_replication_role = replica');
    await work(tx);
  });
}

/** How many events sort before (chainKey, seq): those the verifier checks before reaching it. */
async function eventsBefore(owner: Database, chainKey: string, seq: string): Promise<number> {
  const { rows } = await owner.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM audit_events WHERE (chain_key, seq) < ($1::uuid, $2::bigint)',
    [chainKey, seq],
  );
  return rows[0]?.n ?? -1;
}

async function expectRefused(work: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DatabaseError);
  expect((error as DatabaseError).code).toBe(code);
  expect((error as DatabaseError).message).toMatch(message);
}

describe('recordAuditEvent', () => {
  test('stores the event with the context request id and links it to the tenant chain', async () => {
    const facilityId = await newFacility(db().owner);
    const actor = facilityAdmin(facilityId);
    const event = eventFor(actor, facilityId, 'trip_request.created');
    await withActor(db().as('api'), actor, (tx) => recordAuditEvent(tx, event), { requestId: 'req-audit-1' });

    const { rows } = await db().owner.query<Record<string, unknown>>(
      `SELECT chain_key, seq, facility_id, trip_request_id, actor_sub, actor_role, entity_type, entity_id, action,
              from_state, to_state, request_id, details, prev_hash
       FROM audit_events WHERE entity_id = $1`,
      [event.entityId],
    );
    expect(rows).toEqual([
      {
        chain_key: facilityId,
        seq: '1',
        facility_id: facilityId,
        trip_request_id: null,
        actor_sub: actor.sub,
        actor_role: 'FacilityAdmin',
        entity_type: 'trip_request',
        entity_id: event.entityId,
        action: 'trip_request.created',
        from_state: 'requested',
        to_state: 'scheduled',
        request_id: 'req-audit-1',
        details: { changedFields: ['pickupAt'], legCount: 2 },
        prev_hash: GENESIS_HASH,
      },
    ]);
  });

  test('the same statements run through the RDS Data API adapter (typed casts, no driver inference)', async () => {
    const facilityId = await newFacility(db().owner);
    const riderId = (await createRider(db().owner, { facilityId })).id;
    const tripRequestId = (await createTripRequest(db().owner, { facilityId, riderId, source: 'intake' })).id;
    const actor = facilityAdmin(facilityId);
    const fake = installDataApiFake({ connectionString: db().url('api') });
    const dataApi = createDataApiDatabase(fake.config);
    try {
      await withActor(dataApi, actor, async (tx) => {
        await recordAuditEvent(tx, eventFor(actor, facilityId, 'test.data_api'));
        await writeOutboxWithAudit(tx, eventFor(actor, facilityId, 'test.data_api_with_outbox'),
          { facilityId, riderId, tripRequestId, event: 'request_received', fields: { referenceCode: 'R-DATAAPI' } });
      });
    } finally {
      await dataApi.close();
      await fake.close();
    }
    const { rows } = await db().owner.query<{ action: string }>(
      "SELECT action FROM audit_events WHERE facility_id = $1 AND action LIKE 'test.data_api%' ORDER BY seq", [facilityId]);
    expect(rows.map((row) => row.action)).toEqual(['test.data_api', 'test.data_api_with_outbox']);
    await expect(verifyAuditChains(db().owner, { facilityId })).resolves.toMatchObject({ ok: true, events: 2 });
    expect((await db().owner.query('SELECT 1 FROM notification_outbox WHERE rider_id = $1', [riderId])).rowCount).toBe(1);
  });

  test('a provider-level event (no facility) joins the provider chain', async () => {
    const actor = dispatcher();
    const event = { ...eventFor(actor, null), entityType: 'user' };
    await withActor(db().as('api'), actor, (tx) => recordAuditEvent(tx, event));
    const { rows } = await db().owner.query<{ chain_key: string; facility_id: string | null }>(
      'SELECT chain_key, facility_id FROM audit_events WHERE entity_id = $1',
      [event.entityId],
    );
    expect(rows).toEqual([{ chain_key: PROVIDER_CHAIN_KEY, facility_id: null }]);
  });

  test('a facility actor cannot write into another tenant chain', async () => {
    const own = await newFacility(db().owner);
    const other = await newFacility(db().owner);
    const actor = facilityAdmin(own);
    await expectRefused(
      withActor(db().as('api'), actor, (tx) => recordAuditEvent(tx, eventFor(actor, other))),
      SqlState.insufficientPrivilege,
      /row-level security/,
    );
    expect(await chainOf(db().owner, other)).toEqual([]);
  });

  test('an event cannot claim another actor than the transaction runs as', async () => {
    const facilityId = await newFacility(db().owner);
    const actor = facilityAdmin(facilityId);
    const impostor: FacilityActor = { ...actor, sub: randomUUID() };
    await expectRefused(
      withActor(db().as('api'), actor, (tx) => recordAuditEvent(tx, eventFor(impostor, facilityId))),
      SqlState.insufficientPrivilege,
      /row-level security/,
    );
    const asDispatcher: AuditEvent = { ...eventFor(actor, facilityId), actor: { sub: actor.sub, role: 'Dispatcher' } };
    await expectRefused(
      withActor(db().as('api'), actor, (tx) => recordAuditEvent(tx, asDispatcher)),
      SqlState.insufficientPrivilege,
      /row-level security/,
    );
  });

  test('an event rolls back with the transaction that recorded it, and the chain head with it', async () => {
    const facilityId = await newFacility(db().owner);
    const actor = facilityAdmin(facilityId);
    await record(db().as('api'), actor, facilityId, 1);
    await expect(
      withActor(db().as('api'), actor, async (tx) => {
        await recordAuditEvent(tx, eventFor(actor, facilityId));
        throw new Error('handler failed after auditing');
      }),
    ).rejects.toThrow('handler failed after auditing');
    await record(db().as('api'), actor, facilityId, 1);
    expect((await chainOf(db().owner, facilityId)).map((event) => event.seq)).toEqual(['1', '2']);
    await expect(verifyAuditChains(db().owner, { facilityId })).resolves.toEqual({ ok: true, events: 2, chains: 1 });
  });
});

describe('audit events are append-only', () => {
  let facilityId: string;
  let actor: FacilityActor;
  let target: StoredEvent;

  beforeAll(async () => {
    facilityId = await newFacility(db().owner);
    actor = facilityAdmin(facilityId);
    await record(db().as('api'), actor, facilityId, 2);
    const first = (await chainOf(db().owner, facilityId))[0];
    if (!first) throw new Error('no event recorded');
    target = first;
  });

  test('the API role may not UPDATE an audit event (no privilege)', async () => {
    await expectRefused(
      withActor(db().as('api'), actor, (tx) => tx.query("UPDATE audit_events SET action = 'forged' WHERE id = $1", [target.id])),
      SqlState.insufficientPrivilege,
      /permission denied/,
    );
  });

  test('the API role may not DELETE an audit event (no privilege)', async () => {
    await expectRefused(
      withActor(db().as('api'), actor, (tx) => tx.query('DELETE FROM audit_events WHERE id = $1', [target.id])),
      SqlState.insufficientPrivilege,
      /permission denied/,
    );
  });

  test('a staff role through the API may not UPDATE or DELETE either', async () => {
    const staff = dispatcher();
    await expectRefused(
      withActor(db().as('api'), staff, (tx) => tx.query("UPDATE audit_events SET details = '{}' WHERE id = $1", [target.id])),
      SqlState.insufficientPrivilege,
      /permission denied/,
    );
    await expectRefused(
      withActor(db().as('api'), staff, (tx) => tx.query('DELETE FROM audit_events WHERE id = $1', [target.id])),
      SqlState.insufficientPrivilege,
      /permission denied/,
    );
  });

  test('the auditor login may read but not change events', async () => {
    const auditor = db().as('auditor');
    const { rows } = await auditor.query<{ id: string }>('SELECT id FROM audit_events WHERE id = $1', [target.id]);
    expect(rows).toEqual([{ id: target.id }]);
    await expectRefused(auditor.query("UPDATE audit_events SET action = 'forged' WHERE id = $1", [target.id]), SqlState.insufficientPrivilege, /permission denied/);
    await expectRefused(auditor.query('DELETE FROM audit_events WHERE id = $1', [target.id]), SqlState.insufficientPrivilege, /permission denied/);
  });

  test('even the owner is refused UPDATE and DELETE by the trigger', async () => {
    await expectRefused(
      db().owner.query("UPDATE audit_events SET action = 'forged' WHERE id = $1", [target.id]),
      SqlState.insufficientPrivilege,
      /append-only/,
    );
    await expectRefused(db().owner.query('DELETE FROM audit_events WHERE id = $1', [target.id]), SqlState.insufficientPrivilege, /append-only/);
  });

  test('TRUNCATE is refused to the API role and to the owner', async () => {
    await expectRefused(
      withActor(db().as('api'), actor, (tx) => tx.query('TRUNCATE audit_events')),
      SqlState.insufficientPrivilege,
      /permission denied/,
    );
    await expectRefused(db().owner.query('TRUNCATE audit_events'), SqlState.insufficientPrivilege, /append-only/);
  });

  test('the events are untouched after all those attempts', async () => {
    const chain = await chainOf(db().owner, facilityId);
    expect(chain).toHaveLength(2);
    expect(chain[0]).toEqual(target);
    const { rows } = await db().owner.query<{ action: string }>('SELECT action FROM audit_events WHERE id = $1', [target.id]);
    expect(rows).toEqual([{ action: 'test.action_0' }]);
    await expect(verifyAuditChains(db().owner, { facilityId })).resolves.toEqual({ ok: true, events: 2, chains: 1 });
  });
});

describe('chains are per tenant', () => {
  test('two facilities get two chains, each starting at seq 1 with the genesis hash', async () => {
    const first = await newFacility(db().owner);
    const second = await newFacility(db().owner);
    const staff = dispatcher();
    await record(db().as('api'), staff, first, 2);
    await record(db().as('api'), facilityAdmin(second), second, 1);
    await record(db().as('api'), staff, first, 1);
    await record(db().as('api'), facilityAdmin(second), second, 2);

    for (const [facilityId, length] of [
      [first, 3],
      [second, 3],
    ] as const) {
      const chain = await chainOf(db().owner, facilityId);
      expect(chain.map((event) => event.seq)).toEqual(Array.from({ length }, (_, i) => String(i + 1)));
      expect(chain.every((event) => event.chain_key === facilityId && event.facility_id === facilityId)).toBe(true);
      expect(chain[0]?.prev_hash).toBe(GENESIS_HASH);
      for (let i = 1; i < chain.length; i += 1) expect(chain[i]?.prev_hash).toBe(chain[i - 1]?.hash);
      await expect(verifyAuditChains(db().as('auditor'), { facilityId })).resolves.toEqual({ ok: true, events: 3, chains: 1 });
    }
  });
});

test('20 concurrent writers on one tenant leave one contiguous chain that verifies', async () => {
  const facilityId = await newFacility(db().owner);
  const writers = 20;
  const eventsEach = 5;
  const api = db().as('api');
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const actor = facilityAdmin(facilityId);
      await withActor(api, actor, async (tx) => {
        for (let i = 0; i < eventsEach; i += 1) {
          await recordAuditEvent(tx, eventFor(actor, facilityId, `writer_${writer}.event_${i}`));
          // Yield between inserts so the transactions really interleave on the chain head.
          await tx.query('SELECT pg_sleep(0.001)');
        }
      });
    }),
  );
  const chain = await chainOf(db().owner, facilityId);
  expect(chain.map((event) => event.seq)).toEqual(Array.from({ length: writers * eventsEach }, (_, i) => String(i + 1)));
  await expect(verifyAuditChains(db().as('auditor'), { facilityId })).resolves.toEqual({
    ok: true,
    events: writers * eventsEach,
    chains: 1,
  });
});

describe('the verifier finds tampering', () => {
  // A database of its own, so tampering here cannot break the chains other tests verify.
  let scratch: TestDatabase;
  beforeEach(async () => {
    scratch = await createTestDatabase();
  });
  afterEach(async () => {
    await scratch.drop();
  });

  async function twoTenants(): Promise<{ early: string; late: string }> {
    const a = await newFacility(scratch.owner);
    const b = await newFacility(scratch.owner);
    for (const facilityId of [a, b]) {
      const actor = facilityAdmin(facilityId);
      for (let batch = 0; batch < 3; batch += 1) await record(scratch.as('api'), actor, facilityId, 2);
    }
    await record(scratch.as('api'), dispatcher(), null, 2);
    // Tamper in the chain that sorts last, so events of other chains are verified before the break.
    return a < b ? { early: a, late: b } : { early: b, late: a };
  }

  /**
   * The verdict, checked to be the same whether the chains are walked one range or many at a time
   * and whatever the batch size: so every break is also met as a batch's first row, its last row
   * and a row in between (batches link their first row to the previous batch's last).
   */
  async function verdict(options: { facilityId?: string | null } = {}) {
    const sequential = await verifyAuditChains(scratch.owner, options);
    for (const batchSize of [1, 2, 3]) {
      for (const concurrency of [1, 4]) {
        expect(await verifyAuditChains(scratch.owner, { ...options, concurrency, batchSize })).toEqual(sequential);
      }
    }
    return sequential;
  }

  async function eventAt(chainKey: string, seq: number): Promise<StoredEvent> {
    const event = (await chainOf(scratch.owner, chainKey)).find((row) => row.seq === String(seq));
    if (!event) throw new Error(`no event ${seq} in chain ${chainKey}`);
    return event;
  }

  test('the untouched database verifies', async () => {
    await twoTenants();
    expect(await verdict()).toEqual({ ok: true, events: 14, chains: 3 });
  });

  test("functions shadowing pg_catalog's earlier on the search_path are never called by the verifier", async () => {
    const { late } = await twoTenants();
    for (const shadow of ['sha256(bytea) RETURNS bytea', 'encode(bytea, text) RETURNS text', 'convert_to(text, name) RETURNS bytea']) {
      await scratch.owner.query(`CREATE FUNCTION public.${shadow} LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'shadow called'; END $$`);
    }
    const verdict = await scratch.owner.transaction(async (tx) => {
      await tx.query('SET LOCAL search_path = public, pg_catalog');
      // The shadow is what an unqualified name now reaches.
      await tx.query('SAVEPOINT shadow_check');
      await expect(tx.query("SELECT sha256('x'::bytea)")).rejects.toThrow('shadow called');
      await tx.query('ROLLBACK TO SAVEPOINT shadow_check');
      return verifyAuditChains(tx, { facilityId: late });
    });
    expect(verdict).toEqual({ ok: true, events: 6, chains: 1 });
  });

  test('a row edited behind the triggers is reported at exactly that event as a hash mismatch', async () => {
    const { early, late } = await twoTenants();
    const altered = await eventAt(late, 4);
    await tamper(scratch.owner, (tx) =>
      tx.query(`UPDATE audit_events SET details = details || '{"legCount": 3}'::jsonb, action = 'test.innocent' WHERE id = $1`, [
        altered.id,
      ]),
    );

    const result = await verdict();
    expect(result).toEqual({
      ok: false,
      events: await eventsBefore(scratch.owner, late, '4'),
      chains: 3,
      firstBreak: { chainKey: late, seq: 4, eventId: altered.id, reason: 'hash_mismatch' },
    });
    // The events before it, and the other tenant's chain, still verify on their own.
    expect(await verdict({ facilityId: early })).toEqual({ ok: true, events: 6, chains: 1 });
    expect(await verdict({ facilityId: null })).toEqual({ ok: true, events: 2, chains: 1 });
    expect(await verdict({ facilityId: late })).toMatchObject({
      ok: false,
      events: 3,
      firstBreak: { seq: 4, eventId: altered.id, reason: 'hash_mismatch' },
    });
  });

  test('a single changed field is enough: an altered timestamp is found too', async () => {
    const { late } = await twoTenants();
    const altered = await eventAt(late, 1);
    await tamper(scratch.owner, (tx) =>
      tx.query("UPDATE audit_events SET occurred_at = occurred_at - interval '1 microsecond' WHERE id = $1", [altered.id]),
    );
    expect(await verdict({ facilityId: late })).toEqual({
      ok: false,
      events: 0,
      chains: 1,
      firstBreak: { chainKey: late, seq: 1, eventId: altered.id, reason: 'hash_mismatch' },
    });
  });

  test('a row whose hash was recomputed after editing is caught by the next event', async () => {
    const { late } = await twoTenants();
    const altered = await eventAt(late, 2);
    const next = await eventAt(late, 3);
    await tamper(scratch.owner, async (tx) => {
      await tx.query("UPDATE audit_events SET action = 'test.forged' WHERE id = $1", [altered.id]);
      // The forger re-seals the edited row exactly as the insert trigger would have.
      await tx.query(
        `UPDATE audit_events SET hash = encode(sha256(convert_to(prev_hash || '|' || audit_canonical(audit_events), 'UTF8')), 'hex')
         WHERE id = $1`,
        [altered.id],
      );
    });
    expect(await verdict({ facilityId: late })).toEqual({
      ok: false,
      events: 2,
      chains: 1,
      firstBreak: { chainKey: late, seq: 3, eventId: next.id, reason: 'prev_hash_mismatch' },
    });
  });

  test('with two chains broken, the one first in (chain_key, seq) order is reported', async () => {
    const { early, late } = await twoTenants();
    const earlyAltered = await eventAt(early, 5);
    const lateAltered = await eventAt(late, 1);
    await tamper(scratch.owner, async (tx) => {
      for (const id of [earlyAltered.id, lateAltered.id]) {
        await tx.query("UPDATE audit_events SET to_state = 'cancelled' WHERE id = $1", [id]);
      }
    });
    expect(await verdict()).toEqual({
      ok: false,
      events: await eventsBefore(scratch.owner, early, '5'),
      chains: 2,
      firstBreak: { chainKey: early, seq: 5, eventId: earlyAltered.id, reason: 'hash_mismatch' },
    });
  });

  test('a deleted row is reported as a sequence gap at the event after it', async () => {
    const { late } = await twoTenants();
    const deleted = await eventAt(late, 3);
    const after = await eventAt(late, 4);
    await tamper(scratch.owner, (tx) => tx.query('DELETE FROM audit_events WHERE id = $1', [deleted.id]));

    expect(await verdict()).toEqual({
      ok: false,
      events: await eventsBefore(scratch.owner, late, '3'),
      chains: 3,
      firstBreak: { chainKey: late, seq: 4, eventId: after.id, reason: 'sequence_gap' },
    });
  });

  test('a deleted first event is reported at the new first event', async () => {
    const { early } = await twoTenants();
    const deleted = await eventAt(early, 1);
    const second = await eventAt(early, 2);
    await tamper(scratch.owner, (tx) => tx.query('DELETE FROM audit_events WHERE id = $1', [deleted.id]));
    expect(await verdict({ facilityId: early })).toEqual({
      ok: false,
      events: 0,
      chains: 1,
      firstBreak: { chainKey: early, seq: 2, eventId: second.id, reason: 'sequence_gap' },
    });
  });

  test('a deleted row with the later seqs renumbered is still caught, as a broken link', async () => {
    const { late } = await twoTenants();
    const deleted = await eventAt(late, 3);
    const after = await eventAt(late, 4);
    await tamper(scratch.owner, async (tx) => {
      await tx.query('DELETE FROM audit_events WHERE id = $1', [deleted.id]);
      for (const seq of [4, 5, 6]) {
        await tx.query('UPDATE audit_events SET seq = seq - 1 WHERE chain_key = $1 AND seq = $2', [late, seq]);
      }
    });
    expect(await verdict({ facilityId: late })).toEqual({
      ok: false,
      events: 2,
      chains: 1,
      firstBreak: { chainKey: late, seq: 3, eventId: after.id, reason: 'prev_hash_mismatch' },
    });
  });
});

test('chain key ranges cover the whole UUID space without overlap', () => {
  const ranges = chainKeyRanges(7);
  expect(ranges[0]?.lower).toBe(PROVIDER_CHAIN_KEY);
  expect(ranges[6]?.upper).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
  const asNumber = (uuid: string) => BigInt(`0x${uuid.replaceAll('-', '')}`);
  for (let i = 1; i < ranges.length; i += 1) {
    expect(asNumber(ranges[i]?.lower ?? '')).toBe(asNumber(ranges[i - 1]?.upper ?? '') + 1n);
  }
  expect(chainKeyRanges(1)).toEqual([{ lower: PROVIDER_CHAIN_KEY, upper: 'ffffffff-ffff-ffff-ffff-ffffffffffff' }]);
});

describe('the verifier streams', () => {
  // Counts the statements the verifier sends and the rows each answers.
  function counting(inner: Queryable): { source: Queryable; batches: number[] } {
    const batches: number[] = [];
    return {
      batches,
      source: {
        query: async <Row>(sql: string, params?: readonly SqlParam[]) => {
          const result = await inner.query<Row>(sql, params);
          batches.push(result.rows.length);
          return result;
        },
      },
    };
  }

  let facilityId: string;
  const total = 300;

  beforeAll(async () => {
    facilityId = await newFacility(db().owner);
    const actor = facilityAdmin(facilityId);
    for (let done = 0; done < total; done += 50) await record(db().as('api'), actor, facilityId, 50);
  });

  test('in keyset batches of the requested size, never the whole table at once', async () => {
    const batchSize = 7;
    const { source, batches } = counting(db().as('auditor'));
    const progress: number[] = [];
    const result = await verifyAuditChains(source, {
      facilityId,
      batchSize,
      onProgress: ({ events }) => progress.push(events),
    });
    expect(result).toEqual({ ok: true, events: total, chains: 1 });
    // One statement per batch; an intact batch of one chain answers only its first and last rows.
    expect(batches.length).toBe(Math.ceil(total / batchSize));
    expect(Math.max(...batches)).toBe(2);
    expect(progress).toEqual(batches.map((_, i) => Math.min((i + 1) * batchSize, total)));
  });

  test('across every chain too, one key range or several at a time, carrying the chain state over batch boundaries', async () => {
    const { rows } = await db().owner.query<{ n: number; chains: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT chain_key)::int AS chains FROM audit_events',
    );
    const expected = rows[0];
    if (!expected) throw new Error('no count');
    for (const concurrency of [1, 3]) {
      const { source, batches } = counting(db().as('auditor'));
      const progress: number[] = [];
      const result = await verifyAuditChains(source, { batchSize: 11, concurrency, onProgress: ({ events }) => progress.push(events) });
      expect(result).toEqual({ ok: true, events: expected.n, chains: expected.chains });
      expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(expected.n / 11));
      // An intact batch answers its first and last rows and the first row of each chain in it.
      expect(batches.reduce((sum, rows) => sum + rows, 0)).toBeLessThanOrEqual(2 * batches.length + expected.chains);
      const steps = progress.map((events, i) => events - (progress[i - 1] ?? 0));
      expect(Math.max(...steps)).toBeLessThanOrEqual(11);
      expect(progress.at(-1)).toBe(expected.n);
    }
  });

  test('through the auditor login, which reads every tenant without a tenant context', async () => {
    const { rows } = await db().owner.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events');
    const result = await verifyAuditChains(db().as('auditor'));
    expect(result).toMatchObject({ ok: true, events: rows[0]?.n });
    expect(result.events).toBeGreaterThanOrEqual(total);
  });

  test('a failing statement fails the verification instead of passing it', async () => {
    for (const concurrency of [1, 3]) {
      const auditor = db().as('auditor');
      let calls = 0;
      const flaky: Queryable = {
        query: <Row>(sql: string, params?: readonly SqlParam[]) => {
          calls += 1;
          if (calls === 3) return Promise.reject(new DatabaseError('canceling statement due to statement timeout', '57014'));
          return auditor.query<Row>(sql, params);
        },
      };
      await expect(verifyAuditChains(flaky, { facilityId, batchSize: 7, concurrency })).rejects.toThrow('statement timeout');
    }
  });

  test('rejects a malformed facility id and batch size before querying', async () => {
    const { source, batches } = counting(db().as('auditor'));
    await expect(verifyAuditChains(source, { facilityId: "x' OR true --" })).rejects.toThrow('facilityId must be a UUID');
    await expect(verifyAuditChains(source, { batchSize: 0 })).rejects.toThrow('batchSize');
    expect(batches).toEqual([]);
  });

  test('an unknown facility has an empty chain', async () => {
    await expect(verifyAuditChains(db().as('auditor'), { facilityId: randomUUID() })).resolves.toEqual({ ok: true, events: 0, chains: 0 });
  });
});
