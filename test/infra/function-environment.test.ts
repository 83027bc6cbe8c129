import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { routes } from '../../lambdas/api/routes';
import { allResources, type SynthesisedApp, synthesise } from './synth';

/**
 * Every configuration value a Lambda entry insists on (`required(env, 'NAME')`, anywhere in the
 * code it bundles) is set by the stack that deploys it — so a renamed variable fails here, not
 * at the first cold start in AWS. AWS_REGION is provided by the Lambda runtime itself.
 */
const ROOT = join(__dirname, '..', '..');
const ENTRIES = {
  'nemt-api': 'lambdas/api/handler.ts',
  'nemt-intake': 'lambdas/intake/handler.ts',
  'nemt-notify': 'lambdas/notify/handler.ts',
  'nemt-relay': 'lambdas/relay/handler.ts',
  'nemt-standing-orders': 'lambdas/standing-orders/handler.ts',
} as const;
const PROVIDED_BY_LAMBDA = new Set(['AWS_REGION']);

function requiredNames(entry: string): string[] {
  const result = buildSync({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
  });
  const names = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.includes('node_modules')) continue;
    const source = readFileSync(join(ROOT, input), 'utf8');
    for (const match of source.matchAll(/required\((?:env|process\.env), '([A-Z0-9_]+)'\)/g)) names.add(match[1] as string);
  }
  return [...names].filter((name) => !PROVIDED_BY_LAMBDA.has(name)).sort();
}

let app: SynthesisedApp;
beforeAll(() => {
  app = synthesise({ env: 'prod', routes });
});
afterAll(() => app.cleanup());

test.each(Object.entries(ENTRIES))('%s gets every variable its entry requires', (service, entry) => {
  const functions = allResources(app, 'AWS::Lambda::Function').filter(
    ([, resource]) =>
      (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === service,
  );
  expect(functions).toHaveLength(1);
  const [, fn] = functions[0] as (typeof functions)[number];
  const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const needed = requiredNames(entry);
  expect(needed.length).toBeGreaterThan(2);
  expect(needed.filter((name) => !(name in variables))).toEqual([]);
});

test('riders hear the provider name and time zone configured for the environment', () => {
  const variables = allResources(app, 'AWS::Lambda::Function')
    .map(([, resource]) => (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})
    .find((vars) => vars.POWERTOOLS_SERVICE_NAME === 'nemt-notify');
  expect(variables).toMatchObject({ PROVIDER_NAME: app.config.provider.name, PROVIDER_TIME_ZONE: app.config.provider.timeZone });
});

test('the standing-orders run reads the same provider zone and pickup window as the notifier and the API', () => {
  const byService = (service: string) => allResources(app, 'AWS::Lambda::Function')
    .map(([, resource]) => (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})
    .find((vars) => vars.POWERTOOLS_SERVICE_NAME === service);
  expect(byService('nemt-standing-orders')).toMatchObject({
    PROVIDER_TIME_ZONE: byService('nemt-notify')?.PROVIDER_TIME_ZONE,
    PICKUP_WINDOW_MINUTES: byService('nemt-api')?.PICKUP_WINDOW_MINUTES,
    RIDE_REMINDER_LOCAL_HOUR: String(app.config.notifications.rideReminderLocalHour),
    // Accepting or editing a series (the API) and the nightly run make trips as far ahead.
    STANDING_ORDER_HORIZON_DAYS: byService('nemt-api')?.STANDING_ORDER_HORIZON_DAYS,
  });
  expect(byService('nemt-api')?.STANDING_ORDER_HORIZON_DAYS).toBe(String(app.config.standingOrders.horizonDays));
});

test('the API gets the odometer typo limit configured for the environment', () => {
  const variables = allResources(app, 'AWS::Lambda::Function')
    .map(([, resource]) => (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})
    .find((vars) => vars.POWERTOOLS_SERVICE_NAME === 'nemt-api');
  expect(variables).toMatchObject({ MAX_ODOMETER_JUMP_MILES: String(app.config.provider.maxOdometerJumpMiles) });
});
