import { createTestApi } from '../support/api';
import { useTestDatabase } from '../support/database';
import { actorOf, createLeg, createTripRequest, legWindow, seedTwoTenants, type TwoTenants } from '../support/fixtures';

const db = useTestDatabase();
let world: TwoTenants;

beforeAll(async () => {
  world = await seedTwoTenants(db().owner);
});

test('GET /v1/me names the provider and its time zone, for every role', async () => {
  const api = createTestApi(db().as('api'));
  for (const user of [world.dispatcher, world.driver, world.billing, world.adminA, world.userA]) {
    const me = await api.call('GET', '/v1/me', { as: actorOf(user) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ sub: user.id, role: user.role, provider: { name: 'Test Transport', timeZone: 'America/New_York' } });
  }
});

test("the provider's time zone is configuration: /v1/me and the legs' day both follow it", async () => {
  const tokyo = createTestApi(db().as('api'), { settings: { providerName: 'Tokyo Transport', timeZone: 'Asia/Tokyo' } });
  const me = await tokyo.call('GET', '/v1/me', { as: actorOf(world.dispatcher) });
  expect(me.body.provider).toEqual({ name: 'Tokyo Transport', timeZone: 'Asia/Tokyo' });

  const trip = await createTripRequest(db().owner, { facilityId: world.facilityA, riderId: world.riderA, source: 'dispatcher',
    submittedBy: world.dispatcher.id, status: 'scheduled' });
  // 16:00Z on 1 June is 01:00 on 2 June in Tokyo, and still 1 June in New York.
  const leg = await createLeg(db().owner, trip, { window: legWindow('2036-06-01T16:00:00Z', 30) });
  const day = async (api: typeof tokyo, date: string) =>
    (await api.call('GET', `/v1/legs?date=${date}`, { as: actorOf(world.dispatcher) })).body.items.map((item: { id: string }) => item.id);
  expect(await day(tokyo, '2036-06-02')).toEqual([leg.id]);
  expect(await day(tokyo, '2036-06-01')).toEqual([]);
  const newYork = createTestApi(db().as('api'));
  expect(await day(newYork, '2036-06-01')).toEqual([leg.id]);
});
