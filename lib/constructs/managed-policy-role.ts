import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * A role whose granted permissions land in one customer-managed policy instead of an inline
 * default policy (HIPAA.Security-IAMNoInlinePolicy): the policy is versioned by IAM and can be
 * reviewed and reused on its own. Grants made through CDK's `grant*` helpers work unchanged.
 */
export class ManagedPolicyRole extends iam.Role {
  readonly permissions: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.permissions = new iam.ManagedPolicy(this, 'Permissions', {
      description: props.description?.slice(0, 1000),
      roles: [this],
    });
  }

  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.permissions.addStatements(statement);
    return { statementAdded: true, policyDependable: this.permissions };
  }
}
