import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { RouteDeclaration } from '../../lambdas/api/route-types';
import { cdkJsonContext, createApp, type NemtApp, type NemtStacks } from '../../lib/app';

/**
 * Synthesises the whole app the way `cdk synth` does (cdk.json context plus `env`), without
 * bundling the Lambda code unless asked: the templates are what the assertions read, and
 * bundling is what makes a synth slow. One synth per test file, shared through beforeAll.
 */
export interface SynthesisedApp extends NemtApp {
  readonly templates: { readonly [K in keyof NemtStacks]: Template };
  readonly outdir: string;
  cleanup(): void;
}

export interface SynthOptions {
  readonly env: 'dev' | 'staging' | 'prod';
  readonly routes: readonly RouteDeclaration[];
  readonly nag?: boolean;
  readonly nagReports?: boolean;
  readonly bundle?: boolean;
  readonly outdir?: string;
  readonly context?: Record<string, unknown>;
  /** The built console; a tiny committed fixture unless a test asks for another, so tests never build. */
  readonly consoleAssetsDir?: string;
}

/** A minimal built console (index.html, request/index.html, one hashed asset). */
export const CONSOLE_FIXTURE = join(__dirname, 'fixtures', 'console');

export function synthesise(options: SynthOptions): SynthesisedApp {
  const outdir = options.outdir ?? mkdtempSync(join(tmpdir(), 'nemt-cdk-'));
  const context: Record<string, unknown> = { ...cdkJsonContext(), env: options.env, ...options.context };
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const built = createApp({
    routes: options.routes,
    context,
    outdir,
    nag: options.nag ?? false,
    nagReports: options.nagReports,
    consoleAssetsDir: options.consoleAssetsDir ?? CONSOLE_FIXTURE,
  });
  built.app.synth();
  const templates = Object.fromEntries(
    Object.entries(built.stacks).filter(([, stack]) => stack !== undefined)
      .map(([key, stack]) => [key, Template.fromStack(stack as Stack)]),
  ) as { [K in keyof NemtStacks]: Template };
  return {
    ...built,
    templates,
    outdir,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

export function allResources(app: SynthesisedApp, type: string): Array<[string, Resources[string]]> {
  return Object.values(app.templates).flatMap((template) => Object.entries(resourcesOf(template, type)));
}

/**
 * Which customer-managed key a property references: a same-stack `Fn::GetAtt` of the key, or a
 * cross-stack `Fn::GetStackOutput` of the keys stack's published key ARN.
 */
export function keyReference(value: unknown): 'data' | 'logs' | undefined {
  const text = JSON.stringify(value ?? null);
  if (!/Keys|DataKey|LogsKey/.test(text)) return undefined;
  if (/DataKey/.test(text)) return 'data';
  if (/LogsKey/.test(text)) return 'logs';
  return undefined;
}

export function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild;
  if (!child) throw new Error('construct has no default child');
  return stack.getLogicalId(child as Parameters<Stack['getLogicalId']>[0]);
}
