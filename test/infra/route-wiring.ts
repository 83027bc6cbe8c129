import type { Template } from 'aws-cdk-lib/assertions';

/**
 * Reads back, from a synthesised template, what API Gateway will actually serve: every method
 * with its full path, authorization, scopes and the Lambda function its integration invokes.
 */
export interface WiredMethod {
  readonly method: string;
  readonly path: string;
  readonly authorizationType: string;
  readonly authorizer: string | undefined;
  readonly scopes: readonly string[];
  /** Logical id of the function the proxy integration invokes. */
  readonly functionId: string | undefined;
  readonly operationName: string | undefined;
  readonly requiredPathParameters: readonly string[];
}

type Resource = { Type: string; Properties: Record<string, unknown> };

export function wiredMethods(template: Template): WiredMethod[] {
  const resources = template.findResources('AWS::ApiGateway::Resource') as Record<string, Resource>;
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const resource = resources[id];
    if (!resource) throw new Error(`unknown API resource ${id}`);
    const parent = resource.Properties.ParentId as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    const parentPath = parent.Ref ? pathOf(parent.Ref) : '';
    const path = `${parentPath}/${resource.Properties.PathPart as string}`;
    paths.set(id, path);
    return path;
  };

  const methods = template.findResources('AWS::ApiGateway::Method') as Record<string, Resource>;
  return Object.values(methods).map(({ Properties: p }) => {
    const resourceId = p.ResourceId as { Ref?: string };
    const integration = p.Integration as { Type?: string; Uri?: unknown } | undefined;
    const functionId = /"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/.exec(JSON.stringify(integration?.Uri ?? ''))?.[1];
    const parameters = Object.entries((p.RequestParameters as Record<string, boolean> | undefined) ?? {})
      .filter(([, required]) => required)
      .map(([name]) => name.replace('method.request.path.', ''));
    return {
      method: p.HttpMethod as string,
      path: resourceId.Ref ? pathOf(resourceId.Ref) : '/',
      authorizationType: p.AuthorizationType as string,
      authorizer: (p.AuthorizerId as { Ref?: string } | undefined)?.Ref,
      scopes: (p.AuthorizationScopes as string[] | undefined) ?? [],
      functionId: integration?.Type === 'AWS_PROXY' ? functionId : undefined,
      operationName: p.OperationName as string | undefined,
      requiredPathParameters: parameters.sort(),
    };
  });
}
