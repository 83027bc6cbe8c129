import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';

export interface BaseStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Every stack of the app: pinned to the environment's account and region, and answering
 * `availabilityZones` from configuration so nothing ever asks AWS (offline, deterministic synth).
 */
export class BaseStack extends Stack {
  readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: BaseStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.config.account, region: props.config.region },
      terminationProtection: props.config.retainStatefulResources,
    });
    this.config = props.config;
  }

  override get availabilityZones(): string[] {
    return [...this.config.availabilityZones];
  }

  /** What happens to a stateful resource when its stack is deleted. */
  get statefulRemovalPolicy(): RemovalPolicy {
    return this.config.retainStatefulResources ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  }
}
