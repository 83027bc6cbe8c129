import {
  ConfigError, ENVIRONMENT_NAMES, type EnvironmentConfig, loadConfig, PLACEHOLDER_ACCOUNTS, validateConfig,
} from '../../lib/config';

/** SECURITY S22 and the per-environment rules the synth relies on. */
describe('per-environment configuration', () => {
  const configs = ENVIRONMENT_NAMES.map((name) => loadConfig(name));

  test('dev, staging and prod exist, each in its own account and network range', () => {
    expect(configs.map((config) => config.name)).toEqual(['dev', 'staging', 'prod']);
    expect(new Set(configs.map((config) => config.account)).size).toBe(3);
    expect(new Set(configs.map((config) => config.network.cidr)).size).toBe(3);
    expect(new Set(configs.map((config) => config.auth.domainPrefix)).size).toBe(3);
    expect(new Set(configs.map((config) => config.notifications.sesIdentity)).size).toBe(3);
  });

  test('stateful resources are retained everywhere but dev', () => {
    expect(Object.fromEntries(configs.map((config) => [config.name, config.retainStatefulResources])))
      .toEqual({ dev: false, staging: true, prod: true });
  });

  test('daily AWS Backup snapshots: dev 7 days, staging 35, prod 90 in a locked vault; no copy unless asked', () => {
    const backups = Object.fromEntries(configs.map((config) => [config.name, config.backup]));
    expect(backups).toEqual({
      dev: { dailyRetentionDays: 7 },
      staging: { dailyRetentionDays: 35 },
      prod: { dailyRetentionDays: 90, vaultLock: { minRetentionDays: 35, maxRetentionDays: 365, changeableForDays: 3 } },
    });
    for (const config of configs) expect(config.backup.dailyRetentionDays).toBeGreaterThanOrEqual(config.database.backupRetentionDays);
  });

  test('prod: 35 days of backups, MFA required, threat protection enforced, a reader in another zone', () => {
    const prod = loadConfig('prod');
    expect(prod.database.backupRetentionDays).toBe(35);
    expect(prod.auth.mfa).toBe('REQUIRED');
    expect(prod.auth).toMatchObject({ featurePlan: 'PLUS', threatProtection: 'ENFORCED' });
    expect(prod.database.readers).toBeGreaterThanOrEqual(1);
    expect(prod.network.natGateways).toBeGreaterThanOrEqual(2);
  });

  test('every environment: passwords ≥ 12, access tokens ≤ 60 min, refresh ≤ 24 h, explicit zones', () => {
    for (const config of configs) {
      expect(config.auth.minPasswordLength).toBeGreaterThanOrEqual(12);
      expect(config.auth.accessTokenMinutes).toBeLessThanOrEqual(60);
      expect(config.auth.refreshTokenHours).toBeLessThanOrEqual(24);
      expect(config.availabilityZones.length).toBeGreaterThanOrEqual(2);
      for (const zone of config.availabilityZones) expect(zone.startsWith(config.region)).toBe(true);
    }
  });

  test('the placeholder accounts are the ones cdk.json answers zone lookups for', () => {
    const cdkJson = require('../../cdk.json') as { context: Record<string, unknown> };
    for (const config of configs) {
      expect(cdkJson.context[`availability-zones:account=${PLACEHOLDER_ACCOUNTS[config.name]}:region=${config.region}`])
        .toEqual(expect.arrayContaining([...config.availabilityZones]));
    }
  });
});

describe('overrides from the command line', () => {
  test('a real account and region, with zones derived from the region', () => {
    const config = loadConfig('staging', { account: '123456789012', region: 'eu-west-1' });
    expect(config).toMatchObject({ account: '123456789012', region: 'eu-west-1' });
    expect(config.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  test('explicit zones, alarm e-mail and auth domain', () => {
    const config = loadConfig('prod', {
      region: 'us-west-2', availabilityZones: 'us-west-2a, us-west-2c', alarmEmail: 'ops@example.org', authDomainPrefix: 'acme-nemt',
    });
    expect(config.availabilityZones).toEqual(['us-west-2a', 'us-west-2c']);
    expect(config.alarms.email).toBe('ops@example.org');
    expect(config.auth.domainPrefix).toBe('acme-nemt');
  });

  test('a backup copy vault: copies kept as long as the originals, to another account or region', () => {
    const vaultArn = 'arn:aws:backup:us-west-2:444444444444:backup-vault:nemt-prod-copies';
    const config = loadConfig('prod', { backupCopyVaultArn: vaultArn });
    expect(config.backup.copyTo).toEqual({ vaultArn, retentionDays: config.backup.dailyRetentionDays });
    expect(loadConfig('dev', { backupCopyVaultArn: 'arn:aws:backup:us-west-2:111111111111:backup-vault:dr' }).backup.copyTo)
      .toBeDefined();
  });

  test.each([
    ['an unknown environment', () => loadConfig('qa')],
    ['a backup copy vault that is not a vault ARN', () => loadConfig('prod', { backupCopyVaultArn: 'arn:aws:s3:::my-bucket' })],
    ['a backup copy into its own account and region', () => loadConfig('prod', {
      backupCopyVaultArn: 'arn:aws:backup:us-east-1:333333333333:backup-vault:same-place',
    })],
    ['an account that is not 12 digits', () => loadConfig('dev', { account: '12345' })],
    ['zones outside the region', () => loadConfig('dev', { availabilityZones: 'eu-west-1a,eu-west-1b' })],
    ['a single zone', () => loadConfig('dev', { availabilityZones: 'us-east-1a' })],
    ['prod readers in more zones than it has', () => loadConfig('prod', { availabilityZones: 'us-east-1a' })],
  ])('refuses %s', (_name, load) => {
    expect(load).toThrow(ConfigError);
  });
});

describe('validation refuses a configuration that would weaken a control', () => {
  const prod = loadConfig('prod');
  const dev = loadConfig('dev');
  const variant = (base: EnvironmentConfig, change: (config: EnvironmentConfig) => EnvironmentConfig) => () =>
    validateConfig(change(structuredClone(base)));

  test.each<[string, () => EnvironmentConfig]>([
    ['prod without 35-day backups', variant(prod, (c) => ({ ...c, database: { ...c.database, backupRetentionDays: 7 } }))],
    ['prod without a backup vault lock', variant(prod, (c) => ({ ...c, backup: { dailyRetentionDays: c.backup.dailyRetentionDays } }))],
    ['prod daily backups kept shorter than point-in-time restore reaches', variant(prod, (c) => ({
      ...c, backup: { ...c.backup, dailyRetentionDays: 30, vaultLock: { minRetentionDays: 7, maxRetentionDays: 365, changeableForDays: 3 } },
    }))],
    ['a vault lock whose minimum exceeds the daily retention (every backup job would be refused)', variant(prod, (c) => ({
      ...c, backup: { ...c.backup, vaultLock: { minRetentionDays: 120, maxRetentionDays: 365, changeableForDays: 3 } },
    }))],
    ['a vault lock whose maximum is below the daily retention', variant(prod, (c) => ({
      ...c, backup: { ...c.backup, vaultLock: { minRetentionDays: 35, maxRetentionDays: 60, changeableForDays: 3 } },
    }))],
    ['a vault lock that becomes permanent within 72 hours', variant(prod, (c) => ({
      ...c, backup: { ...c.backup, vaultLock: { minRetentionDays: 35, maxRetentionDays: 365, changeableForDays: 1 } },
    }))],
    ['a vault lock in dev, whose stacks come and go', variant(dev, (c) => ({
      ...c, backup: { dailyRetentionDays: 7, vaultLock: { minRetentionDays: 1, maxRetentionDays: 30, changeableForDays: 3 } },
    }))],
    ['daily backups kept no day at all', variant(dev, (c) => ({ ...c, backup: { dailyRetentionDays: 0 } }))],
    ['backup copies kept shorter than the lock holds the originals', variant(prod, (c) => ({
      ...c, backup: { ...c.backup, copyTo: { vaultArn: 'arn:aws:backup:us-west-2:444444444444:backup-vault:copies', retentionDays: 7 } },
    }))],
    ['prod with optional MFA', variant(prod, (c) => ({ ...c, auth: { ...c.auth, mfa: 'OPTIONAL' } }))],
    ['prod without enforced threat protection', variant(prod, (c) => ({ ...c, auth: { ...c.auth, threatProtection: 'AUDIT' } }))],
    ['staging that destroys its data', variant(loadConfig('staging'), (c) => ({ ...c, retainStatefulResources: false }))],
    ['short passwords', variant(dev, (c) => ({ ...c, auth: { ...c.auth, minPasswordLength: 10 } }))],
    ['hour-plus access tokens', variant(dev, (c) => ({ ...c, auth: { ...c.auth, accessTokenMinutes: 61 } }))],
    ['day-plus refresh tokens', variant(dev, (c) => ({ ...c, auth: { ...c.auth, refreshTokenHours: 25 } }))],
    ['threat protection without the PLUS plan', variant(dev, (c) => ({ ...c, auth: { ...c.auth, featurePlan: 'ESSENTIALS', threatProtection: 'AUDIT' } }))],
    ['a public intake looser than the stage', variant(dev, (c) => ({ ...c, api: { ...c.api, publicRateLimit: c.api.rateLimit + 1 } }))],
    ['more NAT gateways than zones', variant(dev, (c) => ({ ...c, network: { ...c.network, natGateways: 3 } }))],
    ['migrations in parallel', variant(dev, (c) => ({
      ...c, functions: { ...c.functions, reservedConcurrency: { ...c.functions.reservedConcurrency, migrate: 2 } },
    }))],
    ['a sender outside the SES identity', variant(dev, (c) => ({
      ...c, notifications: { ...c.notifications, fromAddress: 'someone@elsewhere.example' },
    }))],
    ...['1', '+0', '+1234', '+1 ', '+44x', ''].map((code) => [`SMS calling code ${JSON.stringify(code)}`,
      variant(dev, (c) => ({ ...c, intake: { ...c.intake, smsAllowedCallingCodes: ['+1', code] } }))] as [string, () => EnvironmentConfig]),
    ['no SMS calling code at all', variant(dev, (c) => ({ ...c, intake: { ...c.intake, smsAllowedCallingCodes: [] } }))],
    ['no receipt per destination', variant(dev, (c) => ({ ...c, intake: { ...c.intake, receiptsPerDestinationPerDay: 0 } }))],
    ['an SMS spend alarm at or above the spend limit', variant(prod, (c) => ({
      ...c, alarms: { ...c.alarms, smsSpendUsd: c.notifications.smsMonthlySpendLimitUsd },
    }))],
    ['an edge web ACL outside us-east-1', variant(prod, (c) => ({
      ...c, edge: { ...c.edge, webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/11111111-2222-3333-4444-555555555555' },
    }))],
    ['a console certificate outside us-east-1', variant(prod, (c) => ({
      ...c,
      edge: {
        ...c.edge,
        customDomain: { domainName: 'app.example.org', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222' },
      },
    }))],
    ['a ride reminder hour that is not an hour of the day', variant(dev, (c) => ({
      ...c, notifications: { ...c.notifications, rideReminderLocalHour: 24 },
    }))],
    ['a nightly standing-order run in the provider\'s daytime', variant(dev, (c) => ({
      ...c, notifications: { ...c.notifications, nightlyLocalHour: 12 },
    }))],
    ['a standing-order horizon of no day', variant(dev, (c) => ({ ...c, standingOrders: { horizonDays: 0 } }))],
    ['a standing-order horizon of more than 120 days', variant(dev, (c) => ({ ...c, standingOrders: { horizonDays: 121 } }))],
    ['a plain-http console URL off localhost', variant(prod, (c) => ({
      ...c, edge: { ...c.edge, extraCallbackUrls: ['http://app.example.org/callback'] },
    }))],
  ])('%s', (_name, validate) => {
    expect(validate).toThrow(ConfigError);
  });

  test('SMS goes only to +1 by default; three receipts per destination per day; a spend limit with an alarm below it', () => {
    for (const config of ENVIRONMENT_NAMES.map((name) => loadConfig(name))) {
      expect(config.intake).toEqual({ smsAllowedCallingCodes: ['+1'], receiptsPerDestinationPerDay: 3 });
      expect(config.alarms.smsSpendUsd).toBeLessThan(config.notifications.smsMonthlySpendLimitUsd);
    }
    expect(() => validateConfig({ ...dev, intake: { ...dev.intake, smsAllowedCallingCodes: ['+1', '+44', '+353'] } })).not.toThrow();
    expect(() => validateConfig({
      ...prod,
      edge: { ...prod.edge, webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/central/11111111-2222-3333-4444-555555555555' },
    })).not.toThrow();
  });

  test('the shipped configurations are valid as they are', () => {
    for (const name of ENVIRONMENT_NAMES) expect(() => validateConfig(loadConfig(name))).not.toThrow();
  });
});
