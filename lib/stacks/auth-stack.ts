import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ROLES } from '../../lambdas/shared/tenancy/actor';
import { AppFunction } from '../constructs/app-function';
import type { EnvironmentConfig } from '../config';
import { BaseStack, type BaseStackProps } from './base-stack';

export interface AuthStackProps extends BaseStackProps {
  readonly vpc: ec2.IVpc;
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  readonly logsKey: kms.IKey;
}

export const RESOURCE_SERVER_ID = 'nemt-api';
export const API_SCOPE_NAME = 'api';
/** The scope every API method except the public intake requires; only access tokens carry it. */
export const API_SCOPE = `${RESOURCE_SERVER_ID}/${API_SCOPE_NAME}`;
/** Tenant attributes: written only by administrators through the admin API (S8). */
export const TENANT_ATTRIBUTES = ['facility_id', 'contact_id'] as const;

export interface AppClientOptions {
  readonly userPool: cognito.IUserPool;
  readonly name: string;
  readonly resourceServer: cognito.IUserPoolResourceServer;
  readonly apiScope: cognito.ResourceServerScope;
  readonly auth: EnvironmentConfig['auth'];
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  readonly authFlows: cognito.AuthFlow;
}

/**
 * Every app client of the pool (S9, S27): public (no secret), authorization-code grant only, the
 * API scope, exact callback and sign-out URLs, short-lived tokens with revocation, no user
 * existence errors, and tenant attributes readable but never writable by a client (S8).
 */
export function appClientProps(options: AppClientOptions): cognito.UserPoolClientProps {
  const { auth } = options;
  const readable = new cognito.ClientAttributes()
    .withStandardAttributes({ email: true, emailVerified: true, givenName: true, familyName: true })
    .withCustomAttributes(...TENANT_ATTRIBUTES);
  const writable = new cognito.ClientAttributes().withStandardAttributes({ givenName: true, familyName: true });
  return {
    userPool: options.userPool,
    userPoolClientName: options.name,
    generateSecret: false,
    authFlows: options.authFlows,
    oAuth: {
      flows: { authorizationCodeGrant: true },
      scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL,
        cognito.OAuthScope.resourceServer(options.resourceServer, options.apiScope)],
      callbackUrls: [...options.callbackUrls],
      logoutUrls: [...options.logoutUrls],
    },
    supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    accessTokenValidity: Duration.minutes(auth.accessTokenMinutes),
    idTokenValidity: Duration.minutes(auth.accessTokenMinutes),
    refreshTokenValidity: Duration.hours(auth.refreshTokenHours),
    authSessionValidity: Duration.minutes(3),
    readAttributes: readable,
    writeAttributes: writable,
  };
}

const THREAT_PROTECTION = {
  ENFORCED: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
  AUDIT: cognito.StandardThreatProtectionMode.AUDIT_ONLY,
  OFF: cognito.StandardThreatProtectionMode.NO_ENFORCEMENT,
} as const;

/**
 * One user pool (PRODUCT §2): administrators create users (no self sign-up), exactly one of five
 * groups each, TOTP MFA, strong passwords, short-lived tokens, threat protection where the plan
 * allows, and a V2 pre-token trigger that copies the tenant attributes into access tokens. The
 * app client reaches the API scope through the OAuth authorization-code flow with PKCE.
 */
export class AuthStack extends BaseStack {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly resourceServer: cognito.UserPoolResourceServer;
  readonly apiScope: cognito.ResourceServerScope;
  readonly preTokenFunction: AppFunction;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, props);
    const { config } = this;
    const auth = config.auth;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `nemt-${config.name}`,
      featurePlan: cognito.FeaturePlan[auth.featurePlan],
      standardThreatProtectionMode: auth.featurePlan === 'PLUS' ? THREAT_PROTECTION[auth.threatProtection] : undefined,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: {
        facility_id: new cognito.StringAttribute({ minLen: 36, maxLen: 36, mutable: true }),
        contact_id: new cognito.StringAttribute({ minLen: 36, maxLen: 36, mutable: true }),
      },
      mfa: auth.mfa === 'REQUIRED' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false, email: false },
      passwordPolicy: {
        minLength: auth.minPasswordLength,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deviceTracking: { challengeRequiredOnNewDevice: true, deviceOnlyRememberedOnUserPrompt: true },
      deletionProtection: true,
      removalPolicy: this.statefulRemovalPolicy,
    });

    ROLES.forEach((role, precedence) => {
      this.userPool.addGroup(`${role}Group`, { groupName: role, precedence, description: `NEMT role ${role}` });
    });

    const apiScope = new cognito.ResourceServerScope({ scopeName: API_SCOPE_NAME, scopeDescription: 'Call the NEMT Dispatch API' });
    const resourceServer = this.userPool.addResourceServer('ApiResourceServer', {
      identifier: RESOURCE_SERVER_ID,
      userPoolResourceServerName: 'NEMT Dispatch API',
      scopes: [apiScope],
    });

    const domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: auth.domainPrefix } });

    this.resourceServer = resourceServer;
    this.apiScope = apiScope;
    this.client = new cognito.UserPoolClient(this.userPool, 'AppClient', appClientProps({
      userPool: this.userPool,
      name: `nemt-${config.name}-app`,
      resourceServer,
      apiScope,
      auth,
      callbackUrls: auth.callbackUrls,
      logoutUrls: auth.logoutUrls,
      authFlows: { userSrp: true },
    }));

    this.preTokenFunction = new AppFunction(this, 'PreTokenGeneration', {
      entry: 'lambdas/pre-token/handler.ts',
      description: 'Cognito V2 pre-token generation: copies the tenant attributes into access tokens',
      vpc: props.vpc,
      securityGroup: props.lambdaSecurityGroup,
      encryptionKey: props.logsKey,
      logRetention: config.functions.logRetentionDays,
      reservedConcurrency: config.functions.reservedConcurrency.preToken,
      invocation: 'synchronous',
      removalPolicy: this.statefulRemovalPolicy,
      timeout: Duration.seconds(5),
      memorySize: 256,
    });
    this.userPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, this.preTokenFunction,
      cognito.LambdaVersion.V2_0);

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'For scripts/create-first-dispatcher.ts' });
    new CfnOutput(this, 'UserPoolClientId', { value: this.client.userPoolClientId });
    new CfnOutput(this, 'OAuthBaseUrl', { value: domain.baseUrl(), description: 'Authorization-code flow with PKCE' });

    if (auth.featurePlan !== 'PLUS') {
      NagSuppressions.addResourceSuppressions(this.userPool, [{
        id: 'AwsSolutions-COG8',
        reason: `The ${config.name} configuration chooses the ${auth.featurePlan} plan to save cost; threat protection `
          + 'is enforced on the PLUS plan in staging and prod.',
      }]);
    }
    if (auth.mfa !== 'REQUIRED') {
      NagSuppressions.addResourceSuppressions(this.userPool, [{
        id: 'AwsSolutions-COG2',
        reason: `MFA is optional in ${config.name} only (configuration); staging and prod require TOTP (S9).`,
      }]);
    }
  }
}
