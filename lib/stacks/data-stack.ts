import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as triggers from 'aws-cdk-lib/triggers';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { AppFunction, type DatabaseUser } from '../constructs/app-function';
import { DatabaseBackup } from '../constructs/database-backup';
import { ManagedPolicyRole } from '../constructs/managed-policy-role';
import { BaseStack, type BaseStackProps } from './base-stack';
import { POSTGRES_PORT } from './network-stack';

export interface DataStackProps extends BaseStackProps {
  readonly vpc: ec2.IVpc;
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  readonly dataKey: kms.IKey;
  readonly logsKey: kms.IKey;
  /** Encrypts the AWS Backup vault (S29). */
  readonly backupKey: kms.IKey;
}

export const ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_16_11;
/** The login users the Lambdas connect as (schema/0007); the proxy may log in as each of them. */
export const PROXY_USERS: readonly DatabaseUser[] = ['nemt_api_user', 'nemt_intake_user', 'nemt_notifier_user', 'nemt_auditor_user'];
export const MASTER_USERNAME = 'nemt_admin';
const DATA_API_ACTIONS = [
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:ExecuteStatement',
  'rds-data:RollbackTransaction',
];

/**
 * Aurora PostgreSQL 16 Serverless v2 in the isolated subnets, encrypted with the data key, IAM
 * authentication and the Data API on, behind an RDS Proxy that requires TLS and authenticates
 * end to end with IAM (no stored database passwords). The master password is generated and
 * rotated by RDS in Secrets Manager and used only by the migration trigger over the Data API.
 * Beyond Aurora's continuous backups, AWS Backup takes a daily snapshot into a vault of its own
 * (lib/constructs/database-backup.ts).
 */
export class DataStack extends BaseStack {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  readonly proxySecurityGroup: ec2.SecurityGroup;
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  readonly migrations: AppFunction;
  readonly databaseName: string;
  readonly backup: DatabaseBackup;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = this;
    const retain = config.retainStatefulResources;
    const clusterIdentifier = `nemt-${config.name}`;
    this.databaseName = config.database.name;

    // Lambda → proxy → database, each hop on 5432 and nothing else (S12). The proxy → database
    // rule is added by the proxy itself when it binds to the cluster.
    const group = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc: props.vpc, description, allowAllOutbound: false });
    this.proxySecurityGroup = group('ProxySecurityGroup', 'NEMT RDS Proxy: ingress from the Lambda functions only');
    this.databaseSecurityGroup = group('DatabaseSecurityGroup', 'NEMT Aurora: ingress from RDS Proxy only');
    this.proxySecurityGroup.addIngressRule(props.lambdaSecurityGroup, ec2.Port.tcp(POSTGRES_PORT),
      'PostgreSQL from the Lambda functions');
    // Declared here, not through connections.allowTo(): CDK would put the Lambda group's egress
    // rule in the network stack, which would then depend on this one.
    new ec2.CfnSecurityGroupEgress(this, 'LambdaToProxyEgress', {
      groupId: props.lambdaSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      destinationSecurityGroupId: this.proxySecurityGroup.securityGroupId,
      description: 'PostgreSQL to RDS Proxy',
    });

    // RDS would create the export log group itself: unencrypted and kept forever.
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      encryptionKey: props.logsKey,
      retention: config.audit.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });

    const readers = Array.from({ length: config.database.readers }, (_, index) =>
      rds.ClusterInstance.serverlessV2(`Reader${index + 1}`, {
        scaleWithWriter: true,
        enablePerformanceInsights: true,
        performanceInsightEncryptionKey: props.dataKey,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      }));

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      clusterIdentifier,
      port: POSTGRES_PORT,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: ENGINE_VERSION }),
      credentials: rds.Credentials.fromUsername(MASTER_USERNAME, { encryptionKey: props.dataKey }),
      manageMasterUserPassword: true,
      defaultDatabaseName: config.database.name,
      parameters: { 'rds.force_ssl': '1' },
      writer: rds.ClusterInstance.serverlessV2('Writer', {
        enablePerformanceInsights: true,
        performanceInsightEncryptionKey: props.dataKey,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      }),
      readers,
      serverlessV2MinCapacity: config.database.minCapacity,
      serverlessV2MaxCapacity: config.database.maxCapacity,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.isolatedSubnets },
      securityGroups: [this.databaseSecurityGroup],
      storageEncrypted: true,
      storageEncryptionKey: props.dataKey,
      iamAuthentication: true,
      enableDataApi: true,
      cloudwatchLogsExports: ['postgresql'],
      monitoringInterval: Duration.seconds(config.database.monitoringIntervalSeconds),
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.dataKey,
      backup: { retention: Duration.days(config.database.backupRetentionDays), preferredWindow: '07:00-08:00' },
      preferredMaintenanceWindow: 'Sun:08:30-Sun:09:30',
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      copyTagsToSnapshot: true,
    });
    this.cluster.node.addDependency(postgresLogs);

    const proxyRole = new ManagedPolicyRole(this, 'ProxyRole', {
      assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
      description: 'RDS Proxy logs in to Aurora with IAM as the application login users',
    });
    for (const user of PROXY_USERS) this.cluster.grantConnect(proxyRole, user);

    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromCluster(this.cluster),
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.isolatedSubnets },
      securityGroups: [this.proxySecurityGroup],
      requireTLS: true,
      defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
      role: proxyRole,
      idleClientTimeout: Duration.minutes(30),
      borrowTimeout: Duration.seconds(30),
      maxConnectionsPercent: 90,
    });

    this.pinProxyToDatabasePort();

    this.backup = new DatabaseBackup(this, 'Backup', {
      cluster: this.cluster,
      encryptionKey: props.backupKey,
      backup: config.backup,
      name: clusterIdentifier,
      removalPolicy: this.statefulRemovalPolicy,
      blockRecoveryPointDeletion: retain,
    });

    this.migrations = new AppFunction(this, 'Migrations', {
      entry: 'lambdas/migrate/handler.ts',
      description: 'Applies schema/*.sql on deploy through the RDS Data API',
      vpc: props.vpc,
      securityGroup: props.lambdaSecurityGroup,
      encryptionKey: props.logsKey,
      logRetention: config.functions.logRetentionDays,
      reservedConcurrency: config.functions.reservedConcurrency.migrate,
      invocation: 'synchronous',
      removalPolicy: this.statefulRemovalPolicy,
      timeout: Duration.minutes(10),
      memorySize: 512,
      environment: {
        DB_CLUSTER_ARN: this.cluster.clusterArn,
        DB_NAME: config.database.name,
      },
      // The schema travels inside the bundle, so a change to schema/ changes the asset, the
      // function version and therefore re-runs the trigger.
      bundledFiles: { directory: 'schema', extension: '.sql' },
    });
    const secret = this.cluster.secret;
    if (!secret) throw new Error('the cluster has no master secret');
    this.migrations.addEnvironment('DB_SECRET_ARN', secret.secretArn);
    // Written out rather than cluster.grantDataApiAccess(): that grant edits the data key's policy
    // for Secrets Manager, which would make the keys stack depend on this one.
    this.migrations.addToRolePolicy(new iam.PolicyStatement({
      actions: DATA_API_ACTIONS,
      resources: [this.cluster.clusterArn],
    }));
    this.migrations.addToRolePolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [secret.secretArn],
    }));
    this.migrations.addToRolePolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [props.dataKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
    }));

    new triggers.Trigger(this, 'MigrateOnDeploy', {
      handler: this.migrations,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(10),
      executeAfter: [this.cluster],
    });

    new CfnOutput(this, 'ClusterArn', { value: this.cluster.clusterArn, description: 'For scripts/create-first-dispatcher.ts' });
    new CfnOutput(this, 'MasterSecretArn', { value: secret.secretArn, description: 'RDS-managed; read only by migrations' });
    new CfnOutput(this, 'DatabaseName', { value: config.database.name });
    new CfnOutput(this, 'BackupVaultName', { value: this.backup.vault.backupVaultName, description: 'Restore runbook: docs/security/retention.md' });

    this.acknowledge();
  }

  /**
   * The proxy opens proxy → database with the cluster's port attribute (a deploy-time token). The
   * port is fixed above, so the rules say 5432 literally: reviewable, and checkable by cdk-nag.
   */
  private pinProxyToDatabasePort(): void {
    for (const group of [this.proxySecurityGroup, this.databaseSecurityGroup]) {
      for (const child of group.node.children) {
        if (child instanceof ec2.CfnSecurityGroupIngress || child instanceof ec2.CfnSecurityGroupEgress) {
          child.fromPort = POSTGRES_PORT;
          child.toPort = POSTGRES_PORT;
        }
      }
    }
  }

  private acknowledge(): void {
    const instances = this.cluster.node.children.filter((child) => child.node.id === 'Writer' || child.node.id.startsWith('Reader'));
    for (const instance of instances) {
      NagSuppressions.addResourceSuppressions(instance, [{
        id: 'HIPAA.Security-RDSInBackupPlan',
        reason: 'Aurora backs up the cluster, not its instances, and AWS Backup accepts only the cluster: the backup '
          + 'plan selects the cluster (daily, S29), and continuous backups with point-in-time restore '
          + `(${this.config.database.backupRetentionDays} days here, 35 in prod; S20) cover every instance.`,
      }], true);
    }
    if (!this.config.retainStatefulResources) {
      NagSuppressions.addResourceSuppressions(this.cluster, [
        { id: 'AwsSolutions-RDS10', reason: `Deletion protection is off only in ${this.config.name}, whose data is disposable; staging and prod turn it on (S20).` },
        {
          id: 'HIPAA.Security-RDSInstanceDeletionProtectionEnabled',
          reason: `Deletion protection is off only in ${this.config.name}, whose data is disposable; staging and prod turn it on (S20).`,
        },
      ], true);
    }
    NagSuppressions.addResourceSuppressions(this.cluster, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'The enhanced-monitoring role uses AmazonRDSEnhancedMonitoringRole, the AWS-maintained policy RDS '
          + 'requires for publishing OS metrics.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole'],
      },
    ], true);
  }
}
