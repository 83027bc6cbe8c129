/**
 * Typed per-environment configuration. Each environment is meant for its own AWS account
 * (SECURITY S22); the account, region and availability zones can be overridden at synth time
 * (`-c account=… -c region=… -c azs=a,b`) so a real deployment never edits this file to point
 * somewhere else, and a synth without overrides stays offline and deterministic.
 */
import { ACCESS_TOKEN_MAX_MINUTES } from '../lambdas/shared/auth/token-lifetime';

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** The Lambda functions the app deploys; reserved concurrency is set per function. */
export const FUNCTION_NAMES = ['api', 'users', 'intake', 'notify', 'relay', 'preToken', 'migrate', 'anchor', 'standingOrders'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type LogRetentionDays = 30 | 90 | 180 | 365 | 731 | 1827 | 2557 | 3653;

export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  readonly account: string;
  readonly region: string;
  /** Named explicitly so synth never looks them up. Two or three. */
  readonly availabilityZones: readonly string[];
  /** Keys, database, user pool, buckets and log groups survive stack deletion outside dev. */
  readonly retainStatefulResources: boolean;
  readonly network: {
    readonly cidr: string;
    /** One is cheaper; one per AZ survives an AZ outage. */
    readonly natGateways: number;
  };
  readonly database: {
    readonly name: string;
    readonly minCapacity: number;
    readonly maxCapacity: number;
    /** Serverless v2 readers in other AZs (failover targets). */
    readonly readers: number;
    readonly backupRetentionDays: number;
    readonly monitoringIntervalSeconds: 1 | 5 | 10 | 15 | 30 | 60;
  };
  /**
   * AWS Backup of the database beyond Aurora's own point-in-time restore (SECURITY S29): a daily
   * snapshot into a vault encrypted with its own key, kept `dailyRetentionDays`.
   */
  readonly backup: {
    readonly dailyRetentionDays: number;
    /**
     * Vault Lock: no one, the account root included, can delete a recovery point before
     * `minRetentionDays`, and the vault refuses jobs kept shorter or longer than the bounds. The
     * lock can be changed or removed for `changeableForDays` after the deploy that sets it (72 hours
     * at least); after that it is permanent (compliance mode).
     */
    readonly vaultLock?: { readonly minRetentionDays: number; readonly maxRetentionDays: number; readonly changeableForDays: number };
    /**
     * A copy of every daily recovery point in a vault of another account or region (off unless
     * set; `-c backupCopyVaultArn=…`). The destination vault's access policy must allow
     * backup:CopyIntoBackupVault from this account; see docs/security/retention.md.
     */
    readonly copyTo?: { readonly vaultArn: string; readonly retentionDays: number };
  };
  readonly auth: {
    /** TOTP for everyone when REQUIRED; OPTIONAL is only accepted outside prod. */
    readonly mfa: 'REQUIRED' | 'OPTIONAL';
    /** V2 pre-token generation needs ESSENTIALS or PLUS; threat protection needs PLUS. */
    readonly featurePlan: 'ESSENTIALS' | 'PLUS';
    readonly threatProtection: 'ENFORCED' | 'AUDIT' | 'OFF';
    readonly minPasswordLength: number;
    readonly accessTokenMinutes: number;
    readonly refreshTokenHours: number;
    /** Prefix of the Cognito domain serving the OAuth endpoints; unique per region. */
    readonly domainPrefix: string;
    readonly callbackUrls: readonly string[];
    readonly logoutUrls: readonly string[];
  };
  readonly api: {
    readonly stageName: string;
    readonly rateLimit: number;
    readonly burstLimit: number;
    readonly publicRateLimit: number;
    readonly publicBurstLimit: number;
    /** WAF rate rules count requests per client IP over five minutes. */
    readonly wafIntakeLimitPer5Min: number;
    readonly wafIpLimitPer5Min: number;
    /** Optional custom domain; the certificate must be in ACM in the same region. */
    readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  };
  /** CloudFront in front of the console and the API (SECURITY S26). */
  readonly edge: {
    readonly priceClass: 'PriceClass_100' | 'PriceClass_200' | 'PriceClass_All';
    /**
     * The console's own domain. CloudFront's default certificate (*.cloudfront.net) is always
     * served with the TLSv1 security policy; only a custom certificate enforces TLSv1.2_2021.
     * The certificate must be in ACM in us-east-1.
     */
    readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
    /**
     * An existing CLOUDFRONT-scope web ACL (us-east-1) to attach instead of the app's own
     * `Nemt-<env>-EdgeFirewall` stack, e.g. one managed centrally by Firewall Manager.
     */
    readonly webAclArn?: string;
    /** Per viewer IP over five minutes, at the edge (the regional ACL sees CloudFront's IPs). */
    readonly wafIntakeLimitPer5Min: number;
    readonly wafIpLimitPer5Min: number;
    /** Callback and sign-out URLs of the console's app client beyond the distribution's own. */
    readonly extraCallbackUrls: readonly string[];
    readonly extraLogoutUrls: readonly string[];
  };
  /** The public intake's abuse controls (SECURITY S28). */
  readonly intake: {
    /** E.164 country calling codes (`+1`, `+44`) a text message may go to. */
    readonly smsAllowedCallingCodes: readonly string[];
    /** Receipts per destination (phone or e-mail) per day; further requests are accepted silently. */
    readonly receiptsPerDestinationPerDay: number;
  };
  readonly functions: {
    readonly logRetentionDays: LogRetentionDays;
    readonly reservedConcurrency: Readonly<Record<FunctionName, number>>;
  };
  /** What riders are told: the provider's name, its time zone, the pickup window's length. */
  readonly provider: {
    readonly name: string;
    /** IANA zone the notifier formats dates and times in. */
    readonly timeZone: string;
    readonly pickupWindowMinutes: number;
    /** A completion's odometer may move at most this far in one leg, or past the vehicle's last reading (typo guard). */
    readonly maxOdometerJumpMiles: number;
  };
  readonly notifications: {
    /** A verified SES identity: a domain (recommended) or a single address. */
    readonly sesIdentity: string;
    readonly fromAddress: string;
    readonly smsType: 'Transactional' | 'Promotional';
    readonly smsSenderId?: string;
    readonly smsOriginationNumber?: string;
    readonly relayEveryMinutes: number;
    /** The account's SNS monthly SMS spend limit (USD); must not exceed the limit AWS granted the account. */
    readonly smsMonthlySpendLimitUsd: number;
    /** Ride reminders (tenant opt-in) go out from this hour of the provider's local evening before (0-23). */
    readonly rideReminderLocalHour: number;
    /** The local hour of the night around which the nightly standing-order run is scheduled (0-5). */
    readonly nightlyLocalHour: number;
  };
  /** Standing orders (PRODUCT.md §10): how far ahead an active series has its trips. */
  readonly standingOrders: {
    /** Days, today included (STANDING_ORDER_HORIZON_DAYS). */
    readonly horizonDays: number;
  };
  readonly audit: {
    readonly archiveAfterDays: number;
    readonly expireAfterDays: number;
    readonly logRetentionDays: LogRetentionDays;
    /**
     * Audit chain anchors (lambdas/anchor): how often, and how long each stays locked. COMPLIANCE
     * locks cannot be lifted by anyone, the account's root included, until they run out;
     * GOVERNANCE locks can, with a dedicated permission (for dev, whose stacks come and go).
     */
    readonly anchorEveryMinutes: number;
    readonly anchorLockDays: number;
    readonly anchorLockMode: 'GOVERNANCE' | 'COMPLIANCE';
  };
  readonly alarms: {
    readonly email?: string;
    readonly api5xxPer5Min: number;
    readonly authorizationFailuresPer5Min: number;
    readonly pinnedConnections: number;
    /** SNS month-to-date SMS spend (USD) that raises the alarm; below the spend limit. */
    readonly smsSpendUsd: number;
  };
}

/** Placeholder accounts for offline synth; deployments pass `-c account=<12 digits>`. */
export const PLACEHOLDER_ACCOUNTS: Readonly<Record<EnvironmentName, string>> = {
  dev: '111111111111',
  staging: '222222222222',
  prod: '333333333333',
};
export const DEFAULT_REGION = 'us-east-1';

const shared = {
  region: DEFAULT_REGION,
  availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
  auth: {
    featurePlan: 'PLUS',
    minPasswordLength: 12,
    accessTokenMinutes: 60,
    refreshTokenHours: 24,
  },
  provider: { name: 'Example Medical Transport', timeZone: 'America/New_York', pickupWindowMinutes: 30, maxOdometerJumpMiles: 300 },
  notifications: {
    smsType: 'Transactional',
    relayEveryMinutes: 1,
    rideReminderLocalHour: 18,
    nightlyLocalHour: 2,
  },
  intake: { smsAllowedCallingCodes: ['+1'], receiptsPerDestinationPerDay: 3 },
  edge: { wafIntakeLimitPer5Min: 100, extraCallbackUrls: [], extraLogoutUrls: [] },
  standingOrders: { horizonDays: 14 },
} as const;

const CONFIGS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = {
  dev: {
    name: 'dev',
    account: PLACEHOLDER_ACCOUNTS.dev,
    region: shared.region,
    availabilityZones: shared.availabilityZones.slice(0, 2),
    retainStatefulResources: false,
    network: { cidr: '10.20.0.0/16', natGateways: 1 },
    database: { name: 'nemt', minCapacity: 0.5, maxCapacity: 2, readers: 0, backupRetentionDays: 7, monitoringIntervalSeconds: 60 },
    backup: { dailyRetentionDays: 7 },
    auth: {
      ...shared.auth,
      mfa: 'OPTIONAL',
      threatProtection: 'AUDIT',
      domainPrefix: 'nemt-dispatch-dev',
      callbackUrls: ['http://localhost:5173/callback'],
      logoutUrls: ['http://localhost:5173/'],
    },
    api: {
      stageName: 'dev', rateLimit: 20, burstLimit: 40, publicRateLimit: 1, publicBurstLimit: 5,
      wafIntakeLimitPer5Min: 100, wafIpLimitPer5Min: 2000,
    },
    functions: {
      logRetentionDays: 30,
      reservedConcurrency: { api: 10, users: 2, intake: 2, notify: 2, relay: 1, preToken: 5, migrate: 1, anchor: 1, standingOrders: 1 },
    },
    provider: shared.provider,
    edge: { ...shared.edge, priceClass: 'PriceClass_100', wafIpLimitPer5Min: 2000 },
    intake: shared.intake,
    standingOrders: shared.standingOrders,
    notifications: { ...shared.notifications, smsMonthlySpendLimitUsd: 1, sesIdentity: 'dev.nemt.example.org', fromAddress: 'no-reply@dev.nemt.example.org' },
    audit: {
      archiveAfterDays: 30, expireAfterDays: 365, logRetentionDays: 90,
      anchorEveryMinutes: 60, anchorLockDays: 7, anchorLockMode: 'GOVERNANCE',
    },
    alarms: { api5xxPer5Min: 5, authorizationFailuresPer5Min: 50, pinnedConnections: 20, smsSpendUsd: 0.8 },
  },
  staging: {
    name: 'staging',
    account: PLACEHOLDER_ACCOUNTS.staging,
    region: shared.region,
    availabilityZones: shared.availabilityZones.slice(0, 2),
    retainStatefulResources: true,
    network: { cidr: '10.30.0.0/16', natGateways: 1 },
    database: { name: 'nemt', minCapacity: 0.5, maxCapacity: 4, readers: 0, backupRetentionDays: 14, monitoringIntervalSeconds: 60 },
    backup: { dailyRetentionDays: 35 },
    auth: {
      ...shared.auth,
      mfa: 'REQUIRED',
      threatProtection: 'ENFORCED',
      domainPrefix: 'nemt-dispatch-staging',
      callbackUrls: ['https://staging.nemt.example.org/callback'],
      logoutUrls: ['https://staging.nemt.example.org/'],
    },
    api: {
      stageName: 'staging', rateLimit: 50, burstLimit: 100, publicRateLimit: 2, publicBurstLimit: 5,
      wafIntakeLimitPer5Min: 100, wafIpLimitPer5Min: 2000,
    },
    functions: {
      logRetentionDays: 90,
      reservedConcurrency: { api: 20, users: 2, intake: 5, notify: 2, relay: 1, preToken: 10, migrate: 1, anchor: 1, standingOrders: 1 },
    },
    provider: shared.provider,
    edge: { ...shared.edge, priceClass: 'PriceClass_100', wafIpLimitPer5Min: 2000 },
    intake: shared.intake,
    standingOrders: shared.standingOrders,
    notifications: {
      ...shared.notifications, smsMonthlySpendLimitUsd: 5, sesIdentity: 'staging.nemt.example.org', fromAddress: 'no-reply@staging.nemt.example.org',
    },
    audit: {
      archiveAfterDays: 90, expireAfterDays: 730, logRetentionDays: 365,
      anchorEveryMinutes: 60, anchorLockDays: 730, anchorLockMode: 'COMPLIANCE',
    },
    alarms: { api5xxPer5Min: 5, authorizationFailuresPer5Min: 50, pinnedConnections: 20, smsSpendUsd: 4 },
  },
  prod: {
    name: 'prod',
    account: PLACEHOLDER_ACCOUNTS.prod,
    region: shared.region,
    availabilityZones: shared.availabilityZones,
    retainStatefulResources: true,
    network: { cidr: '10.40.0.0/16', natGateways: 2 },
    database: { name: 'nemt', minCapacity: 0.5, maxCapacity: 8, readers: 1, backupRetentionDays: 35, monitoringIntervalSeconds: 30 },
    // A quarter of daily snapshots, locked for at least the 35 days point-in-time restore covers.
    backup: { dailyRetentionDays: 90, vaultLock: { minRetentionDays: 35, maxRetentionDays: 365, changeableForDays: 3 } },
    auth: {
      ...shared.auth,
      mfa: 'REQUIRED',
      threatProtection: 'ENFORCED',
      domainPrefix: 'nemt-dispatch-prod',
      callbackUrls: ['https://app.nemt.example.org/callback'],
      logoutUrls: ['https://app.nemt.example.org/'],
    },
    api: {
      stageName: 'prod', rateLimit: 100, burstLimit: 200, publicRateLimit: 2, publicBurstLimit: 10,
      wafIntakeLimitPer5Min: 100, wafIpLimitPer5Min: 3000,
    },
    functions: {
      logRetentionDays: 365,
      reservedConcurrency: { api: 50, users: 5, intake: 10, notify: 5, relay: 1, preToken: 20, migrate: 1, anchor: 1, standingOrders: 1 },
    },
    provider: shared.provider,
    edge: { ...shared.edge, priceClass: 'PriceClass_100', wafIpLimitPer5Min: 3000 },
    intake: shared.intake,
    standingOrders: shared.standingOrders,
    notifications: { ...shared.notifications, smsMonthlySpendLimitUsd: 50, sesIdentity: 'nemt.example.org', fromAddress: 'no-reply@nemt.example.org' },
    // Six years of CloudTrail history: the retention most US healthcare documentation rules ask for.
    audit: {
      archiveAfterDays: 90, expireAfterDays: 2190, logRetentionDays: 365,
      anchorEveryMinutes: 60, anchorLockDays: 2190, anchorLockMode: 'COMPLIANCE',
    },
    alarms: { api5xxPer5Min: 5, authorizationFailuresPer5Min: 50, pinnedConnections: 20, smsSpendUsd: 40 },
  },
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** An AWS Backup vault: `arn:aws:backup:<region>:<account>:backup-vault:<name>`. */
export const BACKUP_VAULT_ARN = /^arn:aws[a-z-]*:backup:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):backup-vault:[A-Za-z0-9_.-]{2,50}$/;
/** AWS Backup keeps a lock changeable for at least 72 hours before it becomes permanent. */
export const VAULT_LOCK_MIN_CHANGEABLE_DAYS = 3;

/** The account and region of a copy's destination vault, when the ARN is one. */
export function backupVaultLocation(arn: string): { region: string; account: string } | undefined {
  const match = BACKUP_VAULT_ARN.exec(arn);
  return match ? { region: match[1] as string, account: match[2] as string } : undefined;
}

/** An E.164 country calling code: "+" and one to three digits, the first not 0. */
export const E164_CALLING_CODE = /^\+[1-9]\d{0,2}$/;

export function isEnvironmentName(value: unknown): value is EnvironmentName {
  return typeof value === 'string' && (ENVIRONMENT_NAMES as readonly string[]).includes(value);
}

/** Every rule a configuration must satisfy; a violation stops the synth. */
export function validateConfig(config: EnvironmentConfig): EnvironmentConfig {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  need(/^\d{12}$/.test(config.account), 'account must be 12 digits');
  need(/^[a-z]{2}(-[a-z]+)+-\d$/.test(config.region), 'region must look like us-east-1');
  need(config.availabilityZones.length >= 2 && config.availabilityZones.length <= 3, 'use two or three availability zones');
  need(config.availabilityZones.every((az) => az.startsWith(config.region)), 'availability zones must be in the region');
  need(new Set(config.availabilityZones).size === config.availabilityZones.length, 'availability zones must differ');
  need(config.network.natGateways >= 1 && config.network.natGateways <= config.availabilityZones.length,
    'NAT gateways: at least one, at most one per availability zone');
  need(config.database.minCapacity >= 0.5 && config.database.maxCapacity >= config.database.minCapacity,
    'database capacity: 0.5 ≤ min ≤ max (RDS Proxy keeps connections open, so the cluster never pauses)');
  need(config.database.readers < config.availabilityZones.length, 'more readers than availability zones');
  need(config.database.backupRetentionDays >= 1 && config.database.backupRetentionDays <= 35, 'backups: 1..35 days');
  validateBackup(config, need);
  need(config.auth.minPasswordLength >= 12, 'passwords must be at least 12 characters (S9)');
  need(config.auth.accessTokenMinutes >= 5 && config.auth.accessTokenMinutes <= ACCESS_TOKEN_MAX_MINUTES,
    `access tokens: 5..${ACCESS_TOKEN_MAX_MINUTES} minutes (S9)`);
  need(config.auth.refreshTokenHours >= 1 && config.auth.refreshTokenHours <= 24, 'refresh tokens: 1..24 hours (S9)');
  need(config.auth.threatProtection === 'OFF' || config.auth.featurePlan === 'PLUS', 'threat protection needs the PLUS plan');
  need(/^[a-z0-9](-?[a-z0-9])*$/.test(config.auth.domainPrefix), 'auth domain prefix: lower-case letters, digits, hyphens');
  need(config.api.publicRateLimit <= config.api.rateLimit, 'the public intake must be throttled tighter than the stage');
  need(config.api.wafIntakeLimitPer5Min >= 10 && config.api.wafIpLimitPer5Min >= 10, 'WAF rate limits are at least 10');
  for (const name of Object.keys(config.functions.reservedConcurrency)) {
    const value = config.functions.reservedConcurrency[name as FunctionName];
    need(Number.isInteger(value) && value >= 1, `reserved concurrency of ${name} must be a positive integer`);
  }
  need(config.functions.reservedConcurrency.migrate === 1, 'migrations run one at a time');
  need(config.notifications.fromAddress.endsWith(`@${config.notifications.sesIdentity}`)
    || config.notifications.fromAddress === config.notifications.sesIdentity, 'the sender address must belong to the SES identity');
  need(config.notifications.relayEveryMinutes >= 1, 'the relay runs at most once a minute');
  need(Number.isInteger(config.standingOrders.horizonDays) && config.standingOrders.horizonDays >= 1
    && config.standingOrders.horizonDays <= 120, 'the standing-order horizon is 1..120 days (as the functions read it)');
  need(Number.isInteger(config.notifications.rideReminderLocalHour) && config.notifications.rideReminderLocalHour >= 0
    && config.notifications.rideReminderLocalHour <= 23, 'the ride reminder hour is 0..23 (local)');
  need(Number.isInteger(config.notifications.nightlyLocalHour) && config.notifications.nightlyLocalHour >= 0
    && config.notifications.nightlyLocalHour <= 5, 'the nightly standing-order run is at a local hour of the night, 0..5');
  need(config.audit.expireAfterDays > config.audit.archiveAfterDays, 'audit logs expire after they are archived');
  need(config.audit.anchorEveryMinutes >= 5 && config.audit.anchorEveryMinutes <= 1440, 'audit anchors: every 5..1440 minutes');
  need(config.audit.anchorLockDays >= 1, 'audit anchors stay locked at least a day');
  need(config.intake.smsAllowedCallingCodes.length >= 1
    && config.intake.smsAllowedCallingCodes.every((code) => E164_CALLING_CODE.test(code)),
  'SMS calling codes: at least one, each a "+" and 1..3 digits not starting with 0 (E.164 country calling code)');
  need(Number.isInteger(config.intake.receiptsPerDestinationPerDay) && config.intake.receiptsPerDestinationPerDay >= 1
    && config.intake.receiptsPerDestinationPerDay <= 20, 'receipts per destination per day: 1..20');
  need(config.notifications.smsMonthlySpendLimitUsd >= 1, 'the SMS monthly spend limit is at least USD 1 (the SNS default)');
  need(config.alarms.smsSpendUsd > 0 && config.alarms.smsSpendUsd < config.notifications.smsMonthlySpendLimitUsd,
    'the SMS spend alarm fires below the spend limit');
  need(config.edge.wafIntakeLimitPer5Min >= 10 && config.edge.wafIpLimitPer5Min >= 10, 'edge WAF rate limits are at least 10');
  need(config.edge.webAclArn === undefined
    || /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[^/]+\/[0-9a-f-]+$/.test(config.edge.webAclArn),
  'edge.webAclArn must be a CLOUDFRONT-scope (global, us-east-1) WAFv2 web ACL ARN');
  need(config.edge.customDomain === undefined
    || /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/.test(config.edge.customDomain.certificateArn),
  'the console domain\'s certificate must be an ACM certificate in us-east-1 (CloudFront reads it there)');
  for (const url of [...config.edge.extraCallbackUrls, ...config.edge.extraLogoutUrls]) {
    need(/^https:\/\/[^\s]+$/.test(url) || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/[^\s]*$/.test(url),
      `console URL ${url}: https, or http only on localhost`);
  }
  if (config.name === 'prod') {
    need(config.retainStatefulResources, 'prod retains stateful resources');
    need(config.backup.dailyRetentionDays >= config.database.backupRetentionDays,
      'prod keeps daily backups at least as long as point-in-time restore reaches (S29)');
    need(config.backup.vaultLock !== undefined, 'prod locks its backup vault (S29)');
    need(config.database.backupRetentionDays === 35, 'prod keeps 35 days of point-in-time backups (S20)');
    need(config.auth.mfa === 'REQUIRED', 'prod requires MFA (S9)');
    need(config.auth.threatProtection === 'ENFORCED', 'prod enforces threat protection (S9)');
  }
  if (config.name !== 'dev') need(config.retainStatefulResources, 'only dev may destroy stateful resources');
  if (problems.length > 0) throw new ConfigError(`invalid ${config.name} configuration: ${problems.join('; ')}`);
  return config;
}

function validateBackup(config: EnvironmentConfig, need: (ok: boolean, message: string) => void): void {
  const { dailyRetentionDays, vaultLock, copyTo } = config.backup;
  need(Number.isInteger(dailyRetentionDays) && dailyRetentionDays >= 1 && dailyRetentionDays <= 3650, 'daily backups: kept 1..3650 days');
  if (vaultLock) {
    // A job whose retention falls outside the lock's bounds is refused by the vault.
    need(Number.isInteger(vaultLock.minRetentionDays) && vaultLock.minRetentionDays >= 1
      && vaultLock.minRetentionDays <= dailyRetentionDays && dailyRetentionDays <= vaultLock.maxRetentionDays,
    'backup vault lock: 1 ≤ minimum ≤ daily retention ≤ maximum days');
    need(Number.isInteger(vaultLock.changeableForDays) && vaultLock.changeableForDays >= VAULT_LOCK_MIN_CHANGEABLE_DAYS,
      `backup vault lock: changeable for at least ${VAULT_LOCK_MIN_CHANGEABLE_DAYS} days (AWS's 72-hour cooling-off)`);
    need(config.retainStatefulResources, 'a locked backup vault outlives its stack: only environments that retain data lock it');
    if (copyTo) need(copyTo.retentionDays >= vaultLock.minRetentionDays, 'copies are kept at least as long as the lock holds the originals');
  }
  if (copyTo) {
    const location = backupVaultLocation(copyTo.vaultArn);
    need(location !== undefined, 'backup.copyTo.vaultArn must be an AWS Backup vault ARN');
    need(location === undefined || location.account !== config.account || location.region !== config.region,
      'a backup copy goes to another account or another region');
    need(Number.isInteger(copyTo.retentionDays) && copyTo.retentionDays >= 1 && copyTo.retentionDays <= 3650, 'backup copies: kept 1..3650 days');
  }
}

export interface ConfigOverrides {
  readonly account?: string;
  readonly region?: string;
  /** Comma-separated or a list; defaults to the region's a/b(/c) zones when only the region changes. */
  readonly availabilityZones?: string | readonly string[];
  readonly alarmEmail?: string;
  readonly authDomainPrefix?: string;
  /** An existing CLOUDFRONT web ACL to use instead of the EdgeFirewall stack. */
  readonly edgeWebAclArn?: string;
  /** Copy the daily backups into this vault (another account or region), kept as long as the originals. */
  readonly backupCopyVaultArn?: string;
}

function zonesFor(region: string, count: number): string[] {
  return ['a', 'b', 'c'].slice(0, count).map((letter) => `${region}${letter}`);
}

export function loadConfig(name: string, overrides: ConfigOverrides = {}): EnvironmentConfig {
  if (!isEnvironmentName(name)) {
    throw new ConfigError(`unknown environment "${name}": use one of ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  const base = CONFIGS[name];
  const region = overrides.region ?? base.region;
  const zones = typeof overrides.availabilityZones === 'string'
    ? overrides.availabilityZones.split(',').map((zone) => zone.trim()).filter((zone) => zone.length > 0)
    : overrides.availabilityZones
      ? [...overrides.availabilityZones]
      : region === base.region
        ? base.availabilityZones
        : zonesFor(region, base.availabilityZones.length);
  return validateConfig({
    ...base,
    account: overrides.account ?? base.account,
    region,
    availabilityZones: zones,
    auth: { ...base.auth, domainPrefix: overrides.authDomainPrefix ?? base.auth.domainPrefix },
    edge: { ...base.edge, ...(overrides.edgeWebAclArn ? { webAclArn: overrides.edgeWebAclArn } : {}) },
    alarms: { ...base.alarms, ...(overrides.alarmEmail ? { email: overrides.alarmEmail } : {}) },
    backup: overrides.backupCopyVaultArn
      ? { ...base.backup, copyTo: { vaultArn: overrides.backupCopyVaultArn, retentionDays: base.backup.dailyRetentionDays } }
      : base.backup,
  });
}
