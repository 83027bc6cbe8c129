import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, HIPAASecurityChecks, ServerlessChecks } from 'cdk-nag';
import { routes } from '../../lambdas/api/routes';
import { PROJECT_ROOT } from '../../lib/constructs/lambda-bundle';
import { ENVIRONMENT_NAMES } from '../../lib/config';
import { type SynthesisedApp, synthesise } from './synth';

/**
 * SECURITY S23: the whole app, in every environment, under cdk-nag's AwsSolutions, HIPAA Security
 * and Serverless (the Well-Architected Serverless Lens) packs. Any finding that is not
 * acknowledged fails; every acknowledgement sits on one resource (never a stack or the app),
 * states why, and is listed in README.md (Deploy).
 */
const NAG_FINDING = /^(AwsSolutions-|HIPAA\.Security-|Serverless-|CdkNagValidationFailure|CdkNagSuppression)/;
const PACKS = 3;

interface Finding {
  readonly stack: string;
  readonly path: string;
  readonly level: 'error' | 'warning';
  readonly message: string;
}

/** Errors of any kind, and cdk-nag warnings, from every stack of a synthesised app. */
function findings(stacks: readonly Stack[]): Finding[] {
  return stacks.flatMap((stack) => {
    const annotations = Annotations.fromStack(stack);
    const errors = annotations.findError('*', Match.anyValue()).map((message) => ({ message, level: 'error' as const }));
    const warnings = annotations.findWarning('*', Match.stringLikeRegexp(NAG_FINDING.source))
      .map((message) => ({ message, level: 'warning' as const }));
    return [...errors, ...warnings].map(({ message, level }) => ({
      stack: stack.stackName,
      path: message.id,
      level,
      message: String(message.entry.data).split(':')[0] ?? '',
    }));
  });
}

interface Acknowledgement {
  readonly stack: string;
  readonly resource: string;
  readonly id: string;
  readonly reason: string;
  readonly appliesTo?: readonly unknown[];
}

function acknowledgements(stacks: readonly Stack[]): Acknowledgement[] {
  return stacks.flatMap((stack) => {
    const template = Template.fromStack(stack).toJSON() as {
      Metadata?: Record<string, unknown>;
      Resources: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: Array<{ id: string; reason: string; applies_to?: unknown[] }> } } }>;
    };
    const stackLevel = (template.Metadata as { cdk_nag?: unknown } | undefined)?.cdk_nag;
    if (stackLevel) throw new Error(`${stack.stackName} has stack-level cdk-nag suppressions`);
    return Object.entries(template.Resources).flatMap(([resource, definition]) =>
      (definition.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((rule) => ({
        stack: stack.stackName, resource, id: rule.id, reason: rule.reason, appliesTo: rule.applies_to,
      })));
  });
}

const apps = new Map<string, SynthesisedApp>();
/** With cdk.json's flags an error annotation fails the synth itself; its report names the finding. */
const synthFailures = new Map<string, string>();

beforeAll(() => {
  for (const env of ENVIRONMENT_NAMES) {
    try {
      apps.set(env, synthesise({ env, routes, nag: true, nagReports: true }));
    } catch (error) {
      synthFailures.set(env, error instanceof Error ? error.message : String(error));
    }
  }
}, 600_000);

afterAll(() => {
  for (const app of apps.values()) app.cleanup();
});

const stacksOf = (env: string): Stack[] => Object.values(apps.get(env)?.stacks ?? {});

describe.each([...ENVIRONMENT_NAMES])('%s', (env) => {
  test('no unacknowledged AwsSolutions, HIPAA Security or Serverless finding, and no synth error', () => {
    expect(synthFailures.get(env) ?? 'synthesised').toBe('synthesised');
    expect(stacksOf(env)).toHaveLength(9);
    expect(findings(stacksOf(env))).toEqual([]);
  });

  test('every acknowledgement sits on one resource and says why', () => {
    const all = acknowledgements(stacksOf(env));
    expect(all.length).toBeGreaterThan(0);
    for (const acknowledgement of all) {
      expect(acknowledgement.reason.length).toBeGreaterThanOrEqual(40);
      // A granular rule is acknowledged only for the exact findings named.
      if (acknowledgement.id === 'AwsSolutions-IAM5' || acknowledgement.id === 'AwsSolutions-IAM4') {
        expect(acknowledgement.appliesTo?.length ?? 0).toBeGreaterThan(0);
      }
    }
  });
});

/** Rule ids cdk-nag reports as suppressed for a stack (its CSV reports, one per pack). */
function suppressedInReports(app: SynthesisedApp, stack: Stack): Set<string> {
  const files = readdirSync(app.outdir).filter((name) => name.endsWith(`-${stack.stackName}-NagReport.csv`));
  if (files.length !== PACKS) throw new Error(`expected ${PACKS} nag reports for ${stack.stackName}, found ${files.length}`);
  const ids = files.flatMap((name) => readFileSync(join(app.outdir, name), 'utf8').split('\n')
    .map((line) => /^"([^"]+)","[^"]*","Suppressed"/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined));
  return new Set(ids);
}

describe.each([...ENVIRONMENT_NAMES])('%s acknowledgements', (env) => {
  test('every acknowledgement answers a finding cdk-nag actually reports (none is stale)', () => {
    const app = apps.get(env);
    if (!app) throw new Error(`${env} did not synthesise`);
    for (const stack of stacksOf(env)) {
      const suppressed = suppressedInReports(app, stack);
      for (const acknowledgement of acknowledgements([stack])) {
        expect([stack.stackName, acknowledgement.id, suppressed.has(acknowledgement.id)]).toEqual([stack.stackName, acknowledgement.id, true]);
      }
    }
  });
});

test('README.md (Deploy) lists every acknowledged rule', () => {
  const doc = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const ids = new Set([...apps.keys()].flatMap((env) => acknowledgements(stacksOf(env)).map((entry) => entry.id)));
  expect(ids.size).toBeGreaterThan(5);
  for (const id of ids) expect([id, doc.includes(id)]).toEqual([id, true]);
});

test('the finding collector sees an unacknowledged finding (the check can fail)', () => {
  const app = new App();
  const stack = new Stack(app, 'Careless', { env: { account: '123456789012', region: 'us-east-1' } });
  new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  new s3.Bucket(stack, 'PlainBucket');
  Aspects.of(app).add(new AwsSolutionsChecks());
  Aspects.of(app).add(new HIPAASecurityChecks());
  Aspects.of(app).add(new ServerlessChecks());
  app.synth();
  const found = findings([stack]).map((finding) => finding.message);
  expect(found).toEqual(expect.arrayContaining(['Serverless-SQSRedrivePolicy']));
  expect(found).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  expect(found).toEqual(expect.arrayContaining(['HIPAA.Security-S3BucketLoggingEnabled']));
});
