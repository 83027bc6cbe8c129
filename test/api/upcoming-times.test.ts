import { CLOCK_SKEW_MINUTES } from '../../lambdas/api/schemas/common';
import { createTestApi, type TestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import {
  actorOf, countRows, createLeg, createTripRequest, legWindow, seedTwoTenants, type UserRow,
} from '../support/fixtures';
import { createTestIntake, intakeBody, type TestIntake } from '../support/intake';

/**
 * Appointments and pickups are about what is still to come: one already over is refused with a
 * 422 naming the field (a few minutes of clock skew are forgiven), wherever a client asks for one.
 * And a bad value gets one clear message per field, never two about the same value.
 */
const db = useTestDatabase();
let api: TestApi;
let intake: TestIntake;
let facilityA: string;
let dispatcher: UserRow;
let userA: UserRow;
let riderA: string;

beforeAll(async () => {
  api = createTestApi(db().as('api'));
  intake = createTestIntake(db().as('intake'));
  ({ facilityA, dispatcher, userA, riderA } = await seedTwoTenants(db().owner));
});

const PAST = '2019-06-01T15:00:00Z';
const PAST_MESSAGE = 'This time is already past; give one that is still to come';
const FORMAT_MESSAGE = 'An ISO 8601 date and time with its offset, e.g. 2030-03-04T15:00:00-05:00';
const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

const trip = (extra: Record<string, unknown> = {}) =>
  ({ riderId: riderA, pickupAddress: '1 Main St', dropoffAddress: '2 Clinic Rd', appointmentAt: '2031-02-03T15:00:00Z', ...extra });
const tripCount = () => countRows(db().owner, 'SELECT 1 FROM trip_requests WHERE facility_id = $1', [facilityA]);
const legCount = (tripId: string) => countRows(db().owner, 'SELECT 1 FROM trip_legs WHERE trip_request_id = $1', [tripId]);

function expectOneProblem(answer: { status: number; headers: Record<string, string>; body: { type: string; errors: unknown } },
  status: number, path: string, message: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body.errors).toEqual([{ path, message }]);
}

describe('a time already past is refused where a client asks for one', () => {
  test.each(['appointmentAt', 'requestedPickupAt'])('creating a trip request with %s in 2019 is 422 at that field; nothing is written', async (field) => {
    const before = await tripCount();
    const answer = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), body: trip({ [field]: PAST }) });
    expectOneProblem(answer, 422, field, PAST_MESSAGE);
    expect(answer.body.type).toBe('urn:nemt:problem:validation');
    expect(await tripCount()).toBe(before);
  });

  test('a scheduled return asked for in the past is 422 at requestedReturnAt', async () => {
    const answer = await api.call('POST', '/v1/trip-requests', {
      as: actorOf(userA), body: trip({ returnTrip: 'scheduled', requestedReturnAt: PAST }) });
    expectOneProblem(answer, 422, 'requestedReturnAt', PAST_MESSAGE);
  });

  test(`up to ${CLOCK_SKEW_MINUTES} minutes in the past is clock skew and taken; well beyond it is refused`, async () => {
    const skewed = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), body: trip({ appointmentAt: minutesFromNow(-1) }) });
    expect(skewed.status).toBe(201);
    const late = await api.call('POST', '/v1/trip-requests', {
      as: actorOf(userA), body: trip({ appointmentAt: minutesFromNow(-(CLOCK_SKEW_MINUTES + 10)) }) });
    expectOneProblem(late, 422, 'appointmentAt', PAST_MESSAGE);
  });

  test('moving a requested trip\'s appointment into the past is refused and changes nothing', async () => {
    const created = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), body: trip() });
    const answer = await api.call('PATCH', `/v1/trip-requests/${created.body.id}`, {
      as: actorOf(userA), headers: { 'If-Match': created.headers.etag as string }, body: { appointmentAt: PAST } });
    expectOneProblem(answer, 422, 'appointmentAt', PAST_MESSAGE);
    const reread = await api.call('GET', `/v1/trip-requests/${created.body.id}`, { as: actorOf(userA) });
    expect(reread.body).toMatchObject({ appointmentAt: '2031-02-03T15:00:00.000Z', version: 1 });
  });

  test('scheduling a pickup that is already over is refused, outbound or return; the trip stays requested with no legs', async () => {
    // A request made when its appointment was still to come, scheduled once it is over.
    const requested = await createTripRequest(db().owner, { facilityId: facilityA, riderId: riderA, source: 'facility',
      submittedBy: userA.id, appointmentAt: new Date(PAST), returnTrip: 'scheduled' });
    const schedule = (body: unknown) => api.call('POST', `/v1/trip-requests/${requested.id}/schedule`, { as: actorOf(dispatcher), body });
    const future = { pickupAt: '2031-02-03T14:00:00Z', dropoffAt: '2031-02-03T14:45:00Z' };

    expectOneProblem(await schedule({ outbound: { pickupAt: PAST, dropoffAt: '2031-02-03T14:45:00Z' }, return: { willCall: true } }),
      422, 'outbound.pickupAt', PAST_MESSAGE);
    expectOneProblem(await schedule({ outbound: future, return: { pickupAt: PAST, dropoffAt: '2031-02-03T17:45:00Z' } }),
      422, 'return.pickupAt', PAST_MESSAGE);
    expect(await legCount(requested.id)).toBe(0);
    const reread = await api.call('GET', `/v1/trip-requests/${requested.id}`, { as: actorOf(dispatcher) });
    expect(reread.body.status).toBe('requested');
    // The same request with times still to come is scheduled.
    expect((await schedule({ outbound: future, return: { willCall: true } })).status).toBe(200);
  });

  test('re-timing a leg to a pickup already over is refused', async () => {
    const scheduled = await createTripRequest(db().owner, { facilityId: facilityA, riderId: riderA, source: 'facility',
      submittedBy: userA.id, status: 'scheduled' });
    const leg = await createLeg(db().owner, scheduled, { window: legWindow('2031-03-01T14:00:00Z', 40) });
    const answer = await api.call('PATCH', `/v1/legs/${leg.id}`, {
      as: actorOf(dispatcher), headers: { 'If-Match': `"${leg.version}"` },
      body: { scheduledPickupAt: PAST, scheduledDropoffAt: '2019-06-01T15:40:00Z' } });
    expectOneProblem(answer, 422, 'scheduledPickupAt', PAST_MESSAGE);
  });

  test('the public intake refuses an appointment in 2020 with 422 at appointmentAt, and records nothing', async () => {
    const before = await countRows(db().owner, 'SELECT 1 FROM trip_requests');
    const answer = await intake.submit({ body: intakeBody({ appointmentAt: '2020-05-01T15:00:00Z' }) });
    expectOneProblem(answer, 422, 'appointmentAt', PAST_MESSAGE);
    expect(await countRows(db().owner, 'SELECT 1 FROM trip_requests')).toBe(before);
  });
});

describe('a retry is answered as its first try was, even once the time it names has passed', () => {
  afterEach(() => jest.restoreAllMocks());

  test('the same Idempotency-Key replays the stored 201; a new key with the same body is refused', async () => {
    const body = trip({ appointmentAt: minutesFromNow(2) });
    const headers = { 'Idempotency-Key': 'retry-after-the-hour' };
    const first = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), headers, body });
    expect(first.status).toBe(201);
    const before = await tripCount();

    // Twenty minutes later (the client's first answer was lost in a failover), the appointment is past.
    const later = Date.now() + 20 * 60_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    const retried = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), headers, body });
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body.id).toBe(first.body.id);

    const fresh = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), headers: { 'Idempotency-Key': 'a-new-key' }, body });
    expectOneProblem(fresh, 422, 'appointmentAt', PAST_MESSAGE);
    const unkeyed = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), body });
    expectOneProblem(unkeyed, 422, 'appointmentAt', PAST_MESSAGE);
    expect(await tripCount()).toBe(before);
  });
});

describe('one clear message per field', () => {
  const badDateTimes: [string, unknown, string][] = [
    ['not a date at all', 'next Tuesday', FORMAT_MESSAGE],
    ['no offset', '2031-02-03T15:00:00', FORMAT_MESSAGE],
    ['month 13', '2031-13-03T15:00:00Z', FORMAT_MESSAGE],
    ['a number', 1_900_000_000_000, FORMAT_MESSAGE],
    ['an empty string', '', FORMAT_MESSAGE],
    ['an offset beyond ±14:00', '2031-02-03T15:00:00+15:30', 'Offset within ±14:00 and a year from 0001 to 9999'],
    ['a 65-character value', `2031-02-03T15:00:00.${'0'.repeat(44)}Z`, 'At most 64 characters'],
    ['a time in the past', PAST, PAST_MESSAGE],
  ];

  test.each(badDateTimes)('%s: exactly one error at appointmentAt', async (_, value, message) => {
    const answer = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA), body: trip({ appointmentAt: value }) });
    expectOneProblem(answer, 422, 'appointmentAt', message);
  });

  test('several bad fields: one error each, in the order of the body', async () => {
    const answer = await api.call('POST', '/v1/trip-requests', { as: actorOf(userA),
      body: trip({ appointmentAt: 'soon', requestedPickupAt: '2031-02-03', pickupAddress: `  ${'x'.repeat(501)}\u0000` }) });
    expect(answer.status).toBe(422);
    const paths = answer.body.errors.map((error: { path: string }) => error.path);
    expect([...paths].sort()).toEqual(['appointmentAt', 'pickupAddress', 'requestedPickupAt']);
    expect(new Set(paths).size).toBe(paths.length);
  });

  test('query parameters too: a bad `from` is one 400 error at from', async () => {
    const answer = await api.call('GET', '/v1/legs?from=yesterday', { as: actorOf(dispatcher) });
    expectOneProblem(answer, 400, 'from', FORMAT_MESSAGE);
  });

  test('a bad date of birth is one error too', async () => {
    const answer = await api.call('POST', '/v1/riders', { as: actorOf(userA), body: { fullName: 'Dee', dateOfBirth: '0000-13-45' } });
    expectOneProblem(answer, 422, 'dateOfBirth', 'An ISO 8601 date, e.g. 2030-03-04');
  });

  test('the intake answers the same way', async () => {
    const answer = await intake.submit({ body: intakeBody({ appointmentAt: 'tomorrow morning' }) });
    expectOneProblem(answer, 422, 'appointmentAt', FORMAT_MESSAGE);
  });
});
