import { apiHandlers } from '../../lambdas/api/handlers';
import { lazyRouting, ROUTE_GROUPS, routeGroupOf } from '../../lambdas/api/lazy-routing';
import { routingWith } from '../../lambdas/api/router';
import { routes } from '../../lambdas/api/routes';

/**
 * The Lambdas find routes one group at a time (lambdas/api/lazy-routing.ts); the tests and the
 * local stack use the whole table. Both must find the same declaration and the same handler for
 * every route, and nothing for what the table does not have.
 */
const signedIn = routes.filter((route) => route.function !== 'intake');

test.each(signedIn.map((route) => [route.id, route] as const))('%s: the same declaration and handler as the whole table', async (_id, route) => {
  const lazy = await lazyRouting()(route.method, route.path);
  const whole = await routingWith(apiHandlers)(route.method, route.path);
  expect(lazy?.route).toBe(route);
  expect(whole?.route).toBe(route);
  expect(lazy?.handler).toBeInstanceOf(Function);
  expect(lazy?.handler).toBe(whole?.handler);
});

test('every group holds exactly the routes whose path starts with its name, and every signed-in route has a group', async () => {
  const grouped = new Set<string>();
  for (const [name, load] of Object.entries(ROUTE_GROUPS)) {
    const { routes: declared } = await load();
    expect(declared.length).toBeGreaterThan(0);
    for (const route of declared) {
      expect([route.id, routeGroupOf(route.path)]).toEqual([route.id, name]);
      grouped.add(route.id);
    }
  }
  expect([...grouped].sort()).toEqual(signedIn.map((route) => route.id).sort());
});

test('a resource the table does not have, another method, or the public intake finds nothing', async () => {
  const find = lazyRouting();
  expect(await find('GET', '/v1/nowhere')).toBeUndefined();
  expect(await find('GET', '/v1/trip-requests/{tripRequestId}/nowhere')).toBeUndefined();
  expect(await find('DELETE', '/v1/trip-requests')).toBeUndefined();
  expect(await find('GET', '/v1/intake/challenge')).toBeUndefined();
  expect(await find('GET', '/v2/trip-requests')).toBeUndefined();
  expect(await find('GET', '/v1/constructor')).toBeUndefined();
  expect(await find('GET', '/v1/__proto__')).toBeUndefined();
  expect(routeGroupOf('/v1/legs/{legId}')).toBe('legs');
  expect(routeGroupOf('/v1/legs')).toBe('legs');
  expect(routeGroupOf('/v1legs')).toBeUndefined();
});
