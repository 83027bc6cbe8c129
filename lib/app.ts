import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Aspects, Tags } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, ServerlessChecks } from 'cdk-nag';
import type { RouteDeclaration } from '../lambdas/api/route-types';
import type { AppFunction } from './constructs/app-function';
import { type EnvironmentConfig, loadConfig } from './config';
import { PROJECT_ROOT } from './constructs/lambda-bundle';
import { API_SCOPE, AuthStack } from './stacks/auth-stack';
import { ApiStack } from './stacks/api-stack';
import { AuditStack } from './stacks/audit-stack';
import { DataStack } from './stacks/data-stack';
import { EdgeFirewallStack } from './stacks/edge-firewall-stack';
import { KeysStack } from './stacks/keys-stack';
import { MessagingStack } from './stacks/messaging-stack';
import { NetworkStack } from './stacks/network-stack';
import { ObservabilityStack } from './stacks/observability-stack';

export interface NemtStacks {
  readonly keys: KeysStack;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly auth: AuthStack;
  readonly messaging: MessagingStack;
  readonly api: ApiStack;
  readonly audit: AuditStack;
  readonly observability: ObservabilityStack;
  /** The edge web ACL in us-east-1; absent when the config names an existing ACL (`edge.webAclArn`). */
  readonly edgeFirewall?: EdgeFirewallStack;
}

export interface NemtApp {
  readonly app: App;
  readonly config: EnvironmentConfig;
  readonly stacks: NemtStacks;
}

export interface CreateAppOptions {
  readonly routes: readonly RouteDeclaration[];
  /** Context as the CLI would pass it: `cdk.json` plus `-c` values. */
  readonly context?: Record<string, unknown>;
  readonly outdir?: string;
  /** Apply the cdk-nag AwsSolutions, HIPAA Security and Serverless packs (errors fail the synth). */
  readonly nag?: boolean;
  /** Also write cdk-nag's CSV reports (every rule's status per resource) to the output directory. */
  readonly nagReports?: boolean;
  /**
   * The built console that the edge serves (default `web/dist`, written by `npm run build:web`).
   * The synth fails with a clear message when it is missing.
   */
  readonly consoleAssetsDir?: string;
  /**
   * Builds the console when neither the option nor `-c consoleAssetsDir` names a directory, and
   * answers where it is (bin/app.ts builds web/dist when it is missing or stale).
   */
  readonly buildConsole?: () => string;
}

/** The `context` block of cdk.json, so tests synthesise with exactly what the CLI uses. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The dead-letter queue an asynchronously invoked function was built with. */
function deadLetterQueueOf(fn: AppFunction) {
  if (!fn.deadLetterQueue) throw new Error(`${fn.node.path} has no dead-letter queue`);
  return fn.deadLetterQueue;
}

/** Builds every stack of one environment (`-c env=dev|staging|prod`, dev by default). */
export function createApp(options: CreateAppOptions): NemtApp {
  const app = new App({ context: options.context, outdir: options.outdir });
  const config = loadConfig(contextString(app, 'env') ?? 'dev', {
    account: contextString(app, 'account'),
    region: contextString(app, 'region'),
    availabilityZones: contextString(app, 'azs'),
    alarmEmail: contextString(app, 'alarmEmail'),
    authDomainPrefix: contextString(app, 'authDomainPrefix'),
    edgeWebAclArn: contextString(app, 'edgeWebAclArn'),
    backupCopyVaultArn: contextString(app, 'backupCopyVaultArn'),
  });
  const prefix = `Nemt-${config.name}`;
  const base = { config };

  const keys = new KeysStack(app, `${prefix}-Keys`, { ...base, description: 'NEMT Dispatch: customer-managed KMS keys' });
  const network = new NetworkStack(app, `${prefix}-Network`, {
    ...base, description: 'NEMT Dispatch: VPC, security groups, endpoints, flow logs', logsKey: keys.logsKey,
  });
  const networkRefs = { vpc: network.vpc, lambdaSecurityGroup: network.lambdaSecurityGroup };
  const data = new DataStack(app, `${prefix}-Data`, {
    ...base,
    description: 'NEMT Dispatch: Aurora PostgreSQL, RDS Proxy, migrations',
    ...networkRefs,
    dataKey: keys.dataKey,
    logsKey: keys.logsKey,
    backupKey: keys.backupKey,
  });
  const auth = new AuthStack(app, `${prefix}-Auth`, {
    ...base, description: 'NEMT Dispatch: Cognito user pool', ...networkRefs, logsKey: keys.logsKey,
  });
  const messaging = new MessagingStack(app, `${prefix}-Messaging`, {
    ...base,
    description: 'NEMT Dispatch: notification queue, notifier, outbox relay, standing orders and ride reminders',
    ...networkRefs,
    dataKey: keys.dataKey,
    logsKey: keys.logsKey,
    piiKey: keys.piiKey,
    proxy: data.proxy,
    databaseName: data.databaseName,
  });
  // CloudFront reads web ACLs only from us-east-1: a small stack pinned there, unless the
  // configuration names an existing ACL (e.g. one Firewall Manager owns). cdk.json's weak
  // cross-stack references render the ACL's ARN as Fn::GetStackOutput naming us-east-1, which
  // works from any region (no SSM-backed crossRegionReferences needed).
  const edgeFirewall = config.edge.webAclArn
    ? undefined
    : new EdgeFirewallStack(app, `${prefix}-EdgeFirewall`, {
      config,
      routes: options.routes,
      description: 'NEMT Dispatch: the CloudFront web ACL (always in us-east-1)',
    });
  const api = new ApiStack(app, `${prefix}-Api`, {
    ...base,
    description: 'NEMT Dispatch: REST API, WAF, API and intake functions',
    routes: options.routes,
    ...networkRefs,
    logsKey: keys.logsKey,
    piiKey: keys.piiKey,
    proxy: data.proxy,
    databaseName: data.databaseName,
    queue: messaging.queue,
    userPool: auth.userPool,
    userPoolClient: auth.client,
    scope: API_SCOPE,
    resourceServer: auth.resourceServer,
    apiScope: auth.apiScope,
    edgeWebAclArn: config.edge.webAclArn ?? (edgeFirewall as EdgeFirewallStack).webAcl.attrArn,
    consoleAssetsDir: options.consoleAssetsDir ?? contextString(app, 'consoleAssetsDir') ?? options.buildConsole?.()
      ?? join(PROJECT_ROOT, 'web', 'dist'),
  });
  const audit = new AuditStack(app, `${prefix}-Audit`, {
    ...base,
    description: 'NEMT Dispatch: CloudTrail and its bucket, audit chain anchors',
    logsKey: keys.logsKey,
    ...networkRefs,
    proxy: data.proxy,
    databaseName: data.databaseName,
  });
  const observability = new ObservabilityStack(app, `${prefix}-Observability`, {
    ...base,
    description: 'NEMT Dispatch: alarms, operations topic, dashboard',
    dataKey: keys.dataKey,
    api: api.api,
    authorizationFailures: api.authorizationFailures,
    apiFunction: api.apiFunction,
    usersFunction: api.usersFunction,
    intakeFunction: api.intakeFunction,
    notifier: messaging.notifier,
    relay: messaging.relay,
    auditAnchor: audit.anchorFunction,
    standingOrders: messaging.standingOrders,
    queue: messaging.queue,
    deadLetterQueue: messaging.deadLetterQueue,
    relayDeadLetterQueue: deadLetterQueueOf(messaging.relay),
    auditAnchorDeadLetterQueue: deadLetterQueueOf(audit.anchorFunction),
    standingOrdersDeadLetterQueue: deadLetterQueueOf(messaging.standingOrders),
    proxy: data.proxy,
    cluster: data.cluster,
    backupVault: data.backup.vault,
  });

  Tags.of(app).add('project', 'nemt-dispatch');
  Tags.of(app).add('environment', config.name);
  if (options.nag ?? true) {
    const reports = options.nagReports ?? false;
    Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true, reports }));
    Aspects.of(app).add(new HIPAASecurityChecks({ verbose: true, reports }));
    // The Well-Architected Serverless Lens as rules: tracing, failure destinations, structured logs.
    Aspects.of(app).add(new ServerlessChecks({ verbose: true, reports }));
  }
  return {
    app, config, stacks: { keys, network, data, auth, messaging, api, audit, observability, ...(edgeFirewall ? { edgeFirewall } : {}) },
  };
}
