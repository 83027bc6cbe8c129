import { randomUUID } from 'node:crypto';
import { deliverOutboxRows } from '../../lambdas/notify/notifier';
import { type ApiAnswer, createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, billingRecordsForLeg, completeLeg, countRows, createCancellationRequest,
  createLeg, createRider, createTripRequest, defaultCompletion, phoneNumber, setClinicalNotes, type UserRow,
  seedTwoTenants,
} from '../support/fixtures';
import { createTestIntake, intakeBody } from '../support/intake';
import { testPii } from '../support/keys';
import { eraseRider } from '../../lambdas/api/data/riders';

/**
 * A rider's rights over their data (SECURITY S25): erasure by destroying the rider's data key,
 * and an export of everything held about them. Through the real handlers and database.
 */
const db = useTestDatabase();
let api: TestApi;
let facilityA: string;
let facilityB: string;
let dispatcher: UserRow;
let driver: UserRow;
let billing: UserRow;
let adminA: UserRow;
let userA: UserRow;
let adminB: UserRow;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  ({ facilityA, facilityB, dispatcher, driver, billing, adminA, userA, adminB } = await seedTwoTenants(db().owner));
});

const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });
const PII_FIELDS = ['fullName', 'phone', 'email', 'dateOfBirth', 'homeAddress', 'careNotes'] as const;
const ERASED_MARKER = Object.fromEntries(PII_FIELDS.map((field) => [field, 'erased']));

function ok<T = Record<string, unknown>>(answer: ApiAnswer<T>, status = 200): T {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text}`);
  return answer.body;
}

async function auditOf(entityId: string) {
  const { rows } = await db().owner.query<{ action: string; from_state: string | null; to_state: string | null; details: unknown;
    actor_sub: string }>(
    'SELECT action, from_state, to_state, details, actor_sub FROM audit_events WHERE entity_id = $1 ORDER BY id', [entityId]);
  return rows;
}

/** A rider with a lifetime behind them: a completed, billed trip with notes, a cancelled trip, a notification. */
async function riderWithHistory(facilityId = facilityA) {
  const owner = db().owner;
  const marker = randomUUID().slice(0, 8);
  const details = { fullName: `Erin Example ${marker}`, phone: phoneNumber(), email: `erin.${marker}@example.test`,
    dateOfBirth: '1944-08-09', homeAddress: `9 Juniper Row ${marker}`, careNotes: `Uses a walker ${marker}` };
  const rider = ok(await api.call('POST', '/v1/riders', {
    as: actorOf(dispatcher), headers: { 'Idempotency-Key': `erase-${marker}` },
    body: { facilityId, ...details, notifyChannel: 'sms', notifyConsent: true },
  }), 201) as { id: string; version: number };
  const trip = await createTripRequest(owner, { facilityId, riderId: rider.id, source: 'facility', submittedBy: userA.id,
    status: 'scheduled' });
  await setClinicalNotes(owner, { ...trip, riderId: rider.id }, `Dialysis Tuesdays ${marker}`);
  const leg = await createLeg(owner, { ...trip, riderId: rider.id });
  await completeLeg(owner, leg.id, driver.id, defaultCompletion({ notes: `Tired after session ${marker}` }));
  const [bill] = await billingRecordsForLeg(owner, leg.id);
  const cancelled = await createTripRequest(owner, { facilityId, riderId: rider.id, source: 'facility', submittedBy: userA.id });
  const cancellation = await createCancellationRequest(owner, { trip: cancelled, requestedBy: userA.id });
  ok(await api.call('POST', `/v1/cancellation-requests/${cancellation.id}/approve`, {
    as: actorOf(dispatcher), headers: ifMatch(1), body: {},
  }));
  return { rider, details, marker, trip, leg, bill, cancelled, cancellation, idempotencyKey: `erase-${marker}` };
}

describe('erasure', () => {
  test('destroys the key, marks the rider erased, keeps trips, legs, billing and audit; a second erasure changes nothing', async () => {
    const world = await riderWithHistory();
    const { rider, trip, leg, bill } = world;
    const billingBefore = ok(await api.call('GET', `/v1/billing-records/${bill?.id}`, { as: actorOf(billing) }));
    const auditBefore = await countRows(db().owner, 'SELECT 1 FROM audit_events WHERE facility_id = $1', [facilityA]);
    const current = ok(await api.call('GET', `/v1/riders/${rider.id}`, { as: actorOf(dispatcher) })) as { version: number };

    const erased = await api.call('POST', `/v1/riders/${rider.id}/erasure`, { as: actorOf(dispatcher), headers: ifMatch(current.version) });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({
      id: rider.id, facilityId: facilityA, erased: true, erasedAt: expect.any(String), fullName: null, phone: null, email: null,
      dateOfBirth: null, homeAddress: null, careNotes: null, notifyChannel: 'none', notifyConsent: false, unavailable: ERASED_MARKER,
    });
    expect(erased.headers.etag).toBe(`"${current.version + 1}"`);
    const events = await auditOf(rider.id);
    expect(events.at(-1)).toEqual({ action: 'rider.erased', from_state: 'active', to_state: 'erased', details: {},
      actor_sub: dispatcher.id });

    // Every read of the rider's PII answers the marker.
    expect(ok(await api.call('GET', `/v1/riders/${rider.id}`, { as: actorOf(adminA) }))).toEqual(erased.body);
    expect(ok(await api.call('GET', `/v1/trip-requests/${trip.id}`, { as: actorOf(adminA) }))).toMatchObject({
      id: trip.id, status: 'completed', pickupAddress: '1 Pickup Street', clinicalNotes: null, unavailable: { clinicalNotes: 'erased' },
    });
    expect(ok(await api.call('GET', `/v1/legs/${leg.id}`, { as: actorOf(dispatcher) }))).toMatchObject({
      id: leg.id, status: 'completed', odometerStart: 1000, mileage: 12.5, completionNotes: null, unavailable: { completionNotes: 'erased' },
    });
    expect(ok(await api.call('GET', `/v1/legs/${leg.id}`, { as: actorOf(driver) }))).toMatchObject({
      riderName: null, riderPhone: null, unavailable: { riderName: 'erased', riderPhone: 'erased' },
    });
    const byPhone = ok(await api.call('GET', `/v1/riders?phone=${encodeURIComponent(world.details.phone)}`, { as: actorOf(adminA) }));
    expect(byPhone).toEqual({ items: [], nextCursor: null });

    // What the provider must keep stays exactly as it was.
    expect(ok(await api.call('GET', `/v1/billing-records/${bill?.id}`, { as: actorOf(billing) }))).toEqual(billingBefore);
    expect(await countRows(db().owner, 'SELECT 1 FROM audit_events WHERE facility_id = $1', [facilityA])).toBe(auditBefore + 1);
    expect(ok(await api.call('GET', '/v1/audit/verification', { as: actorOf(dispatcher) }))).toMatchObject({ ok: true });

    // In the database: no key, no sealed rider fields, no indexes; the trip's notes are ciphertext nobody can open.
    const { rows } = await db().owner.query<Record<string, unknown>>(
      `SELECT data_key, full_name_enc, phone_enc, email_enc, date_of_birth_enc, home_address_enc, care_notes_enc, phone_index,
              email_index, intake_phone_index FROM riders WHERE id = $1`, [rider.id]);
    expect(Object.values(rows[0] ?? { missing: true }).every((value) => value === null)).toBe(true);
    expect(await countRows(db().owner, 'SELECT 1 FROM trip_requests WHERE id = $1 AND clinical_notes_enc IS NOT NULL', [trip.id])).toBe(1);

    // A second erasure: the same answer, nothing written, no second audit event.
    const again = await api.call('POST', `/v1/riders/${rider.id}/erasure`, { as: actorOf(adminA) });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(erased.body);
    expect(again.headers.etag).toBe(erased.headers.etag);
    expect((await auditOf(rider.id)).filter((event) => event.action === 'rider.erased')).toHaveLength(1);
  });

  test('an erased rider cannot be changed, booked, or replayed from an idempotency record', async () => {
    const { rider, idempotencyKey, details } = await riderWithHistory();
    const erased = ok(await api.call('POST', `/v1/riders/${rider.id}/erasure`, { as: actorOf(dispatcher) })) as { version: number };
    const patch = await api.call('PATCH', `/v1/riders/${rider.id}`, {
      as: actorOf(adminA), headers: ifMatch(erased.version), body: { fullName: 'Back Again' },
    });
    expect([patch.status, patch.body.type]).toEqual([409, 'urn:nemt:problem:rider-erased']);
    const booking = await api.call('POST', '/v1/trip-requests', {
      as: actorOf(userA), body: { riderId: rider.id, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd',
        appointmentAt: '2031-09-01T15:00:00Z' },
    });
    expect([booking.status, booking.body.type]).toEqual([409, 'urn:nemt:problem:rider-erased']);
    const replay = await api.call('POST', '/v1/riders', {
      as: actorOf(dispatcher), headers: { 'Idempotency-Key': idempotencyKey },
      body: { facilityId: facilityA, ...details, notifyChannel: 'sms', notifyConsent: true },
    });
    expect([replay.status, replay.body.type]).toEqual([409, 'urn:nemt:problem:rider-erased']);
    expect(replay.text).not.toContain(details.fullName);
  });

  test('a notification still waiting for an erased rider is skipped, not sent', async () => {
    const { rider } = await riderWithHistory();
    const { rows } = await db().owner.query<{ id: string }>(
      `SELECT id FROM notification_outbox WHERE rider_id = $1 AND status = 'pending'`, [rider.id]);
    expect(rows.length).toBeGreaterThan(0);
    ok(await api.call('POST', `/v1/riders/${rider.id}/erasure`, { as: actorOf(dispatcher) }));
    const sent: string[] = [];
    const channel = {
      sendSms: async (message: { to: string }) => { sent.push(message.to); return { ok: true as const, messageId: 'm' }; },
      sendEmail: async (message: { to: string }) => { sent.push(message.to); return { ok: true as const, messageId: 'm' }; },
    };
    const outcomes = await deliverOutboxRows({ db: db().as('notifier'), pii: testPii(), sms: channel, email: channel,
      settings: { providerName: 'Test Transport', timeZone: 'America/New_York' } }, rows.map((row) => row.id));
    expect(sent).toEqual([]);
    expect([...outcomes.values()].every((outcome) => outcome.kind === 'skipped' && outcome.reason === 'rider_erased')).toBe(true);
  });

  test('refused while the rider has trips still to be carried out (409), and nothing changes', async () => {
    const rider = await createRider(db().owner, { facilityId: facilityA });
    await createTripRequest(db().owner, { facilityId: facilityA, riderId: rider.id, source: 'facility', submittedBy: userA.id });
    const answer = await api.call('POST', `/v1/riders/${rider.id}/erasure`, { as: actorOf(dispatcher) });
    expect([answer.status, answer.body.type]).toEqual([409, 'urn:nemt:problem:rider-has-open-trips']);
    expect(ok(await api.call('GET', `/v1/riders/${rider.id}`, { as: actorOf(adminA) }))).toMatchObject({
      fullName: rider.fullName, erased: false,
    });
    expect(await auditOf(rider.id)).toEqual([]);
  });

  test('a facility admin erases its own riders only; another tenant answers 404; a facility user is refused (403); If-Match is honoured', async () => {
    const own = await createRider(db().owner, { facilityId: facilityA });
    const foreign = await createRider(db().owner, { facilityId: facilityB });
    expect((await api.call('POST', `/v1/riders/${foreign.id}/erasure`, { as: actorOf(adminA) })).status).toBe(404);
    expect((await api.call('POST', `/v1/riders/${own.id}/erasure`, { as: actorOf(userA) })).status).toBe(403);
    expect((await api.call('POST', `/v1/riders/${own.id}/erasure`, { as: actorOf(adminA), headers: ifMatch(9) })).status).toBe(412);
    expect(ok(await api.call('GET', `/v1/riders/${foreign.id}`, { as: actorOf(adminB) }))).toMatchObject({
      fullName: foreign.fullName, erased: false,
    });
    expect(await auditOf(foreign.id)).toEqual([]);
    expect(ok(await api.call('POST', `/v1/riders/${own.id}/erasure`, { as: actorOf(adminA), headers: ifMatch(1) }))).toMatchObject({
      erased: true, unavailable: ERASED_MARKER,
    });
  });

  test('an erased private-pay rider is never reached by the intake: the same phone starts a new tenant', async () => {
    const intake = createTestIntake(db().as('intake'));
    const phone = phoneNumber();
    const first = ok(await intake.submit({ body: intakeBody({ phone }) }), 202) as { receiptCode: string };
    const { rows } = await db().owner.query<{ facility_id: string; rider_id: string; id: string }>(
      'SELECT facility_id, rider_id, id FROM trip_requests WHERE reference_code = $1', [first.receiptCode]);
    const trip = rows[0];
    if (!trip) throw new Error('the intake recorded no trip');
    ok(await api.call('POST', `/v1/trip-requests/${trip.id}/reject`, { as: actorOf(dispatcher), headers: ifMatch(1),
      body: { reason: 'Outside the service area' } }));
    ok(await api.call('POST', `/v1/riders/${trip.rider_id}/erasure`, { as: actorOf(dispatcher) }));
    const second = ok(await intake.submit({ body: intakeBody({ phone }) }), 202) as { receiptCode: string };
    const { rows: after } = await db().owner.query<{ facility_id: string; rider_id: string }>(
      'SELECT facility_id, rider_id FROM trip_requests WHERE reference_code = $1', [second.receiptCode]);
    expect(after[0]?.facility_id).not.toBe(trip.facility_id);
    expect(after[0]?.rider_id).not.toBe(trip.rider_id);
  });
});

/** Waits until a backend of this database waits on one of these locks (a state, not a duration). */
async function someoneWaitsOnALock(...events: string[]): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await db().owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = ANY($1::text[])`,
      [`{${events.join(',')}}`]);
    if ((rows[0]?.n ?? 0) > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('erasure and the public intake', () => {
  test("an intake for the phone of a rider being erased neither waits nor touches that rider (schema/0019)", async () => {
    const phone = phoneNumber();
    const intake = createTestIntake(db().as('intake'));
    const first = ok(await intake.submit({ body: intakeBody({ phone }) }), 202) as { receiptCode: string };
    const { rows } = await db().owner.query<{ id: string; facility_id: string; rider_id: string }>(
      'SELECT id, facility_id, rider_id FROM trip_requests WHERE reference_code = $1', [first.receiptCode]);
    const trip = rows[0];
    if (!trip) throw new Error('the intake recorded no trip');

    // What an erasure holds from its lookup to its commit: the phone's advisory lock and the rider row.
    let second: ApiAnswer | undefined;
    await db().owner.transaction(async (tx) => {
      await tx.query('SELECT intake_lock(intake_phone_index) FROM riders WHERE id = $1', [trip.rider_id]);
      await tx.query('SELECT 1 FROM riders WHERE id = $1 FOR UPDATE', [trip.rider_id]);
      second = await intake.submit({ body: intakeBody({ phone }) });
    });
    expect(second?.status).toBe(202);
    const { rows: after } = await db().owner.query<{ facility_id: string; rider_id: string }>(
      'SELECT facility_id, rider_id FROM trip_requests WHERE reference_code = $1', [second?.body.receiptCode]);
    expect(after[0]?.rider_id).not.toBe(trip.rider_id);
    expect(after[0]?.facility_id).not.toBe(trip.facility_id);
    expect(await countRows(db().owner, 'SELECT 1 FROM trip_requests WHERE rider_id = $1', [trip.rider_id])).toBe(1);
  });
});

describe('erasure racing a booking', () => {
  test('a trip booked while the rider is being erased waits, then is refused (409): no open trip outlives its rider', async () => {
    const rider = await createRider(db().owner, { facilityId: facilityA });
    let booking: Promise<ApiAnswer> | undefined;
    let waited = false;
    await db().owner.transaction(async (tx) => {
      // What the erasure holds from its lookup to its commit.
      await tx.query('SELECT 1 FROM riders WHERE id = $1 FOR UPDATE', [rider.id]);
      booking = api.call('POST', '/v1/trip-requests', {
        as: actorOf(userA), body: { riderId: rider.id, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd',
          appointmentAt: '2031-09-01T15:00:00Z', clinicalNotes: 'Sealed under a key about to go' },
      });
      waited = await someoneWaitsOnALock('tuple', 'transactionid');
      await eraseRider(tx, { id: rider.id, facility_id: facilityA });
    });
    const answer = await booking;
    expect(waited).toBe(true);
    expect([answer?.status, answer?.body.type]).toEqual([409, 'urn:nemt:problem:rider-erased']);
    expect(await countRows(db().owner, 'SELECT 1 FROM trip_requests WHERE rider_id = $1', [rider.id])).toBe(0);
  });
});

describe('export', () => {
  test('everything held about the rider, opened, as JSON; the export itself is audited', async () => {
    const world = await riderWithHistory();
    const answer = await api.call('GET', `/v1/riders/${world.rider.id}/export`, { as: actorOf(adminA) });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    const body = answer.body;
    expect(body.rider).toMatchObject({ id: world.rider.id, ...world.details, erased: false });
    expect(body.tripRequests.map((trip: { id: string }) => trip.id).sort()).toEqual([world.trip.id, world.cancelled.id].sort());
    expect(body.tripRequests.find((trip: { id: string }) => trip.id === world.trip.id))
      .toMatchObject({ clinicalNotes: `Dialysis Tuesdays ${world.marker}`, status: 'completed' });
    expect(body.legs).toEqual([expect.objectContaining({ id: world.leg.id, completionNotes: `Tired after session ${world.marker}`,
      mileage: 12.5, driverId: driver.id })]);
    expect(body.cancellationRequests).toEqual([expect.objectContaining({ id: world.cancellation.id, status: 'approved' })]);
    expect(body.notifications.map((notification: { event: string }) => notification.event))
      .toEqual(expect.arrayContaining(['cancellation_approved']));
    expect(body.notifications[0]).toMatchObject({ status: 'pending', fields: { referenceCode: expect.any(String) } });
    expect(body.truncated).toBe(false);

    const exported = (await auditOf(world.rider.id)).filter((event) => event.action === 'rider.exported');
    expect(exported).toEqual([{ action: 'rider.exported', from_state: null, to_state: null, actor_sub: adminA.id,
      details: { tripRequests: 2, legs: 1, notifications: body.notifications.length, truncated: false } }]);
    expect(JSON.stringify(exported)).not.toContain(world.marker);
  });

  test('after erasure the export shows the marker wherever the rider\'s PII was', async () => {
    const world = await riderWithHistory();
    ok(await api.call('POST', `/v1/riders/${world.rider.id}/erasure`, { as: actorOf(dispatcher) }));
    const body = ok(await api.call('GET', `/v1/riders/${world.rider.id}/export`, { as: actorOf(dispatcher) })) as {
      rider: Record<string, unknown>; tripRequests: Record<string, unknown>[]; legs: Record<string, unknown>[];
    };
    expect(body.rider).toMatchObject({ erased: true, fullName: null, unavailable: ERASED_MARKER });
    expect(body.tripRequests.find((trip) => trip.id === world.trip.id)).toMatchObject({
      clinicalNotes: null, unavailable: { clinicalNotes: 'erased' },
    });
    expect(body.legs[0]).toMatchObject({ completionNotes: null, unavailable: { completionNotes: 'erased' }, mileage: 12.5 });
    expect(JSON.stringify(body)).not.toContain(world.marker);
  });

  test("another tenant's admin gets 404 and no audit event; a facility user is refused (403)", async () => {
    const rider = await createRider(db().owner, { facilityId: facilityA });
    expect((await api.call('GET', `/v1/riders/${rider.id}/export`, { as: actorOf(adminB) })).status).toBe(404);
    expect((await api.call('GET', `/v1/riders/${rider.id}/export`, { as: actorOf(userA) })).status).toBe(403);
    expect(await auditOf(rider.id)).toEqual([]);
  });
});
