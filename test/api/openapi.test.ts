import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../lambdas/api/openapi';
import type { RouteDeclaration } from '../../lambdas/api/route-types';
import { routes } from '../../lambdas/api/routes';

/**
 * `npm run openapi`: an OpenAPI 3.1 document covering every route of the route table exactly
 * once, with the right method, security, parameters and answers, that holds together
 * structurally (checked below without a validator dependency).
 */
// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;

const ROOT = join(__dirname, '..', '..');
const document: Json = buildOpenApiDocument({ version: '9.9.9' });
const declarations: readonly RouteDeclaration[] = routes;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const PATH_ITEM_FIELDS = [...METHODS, '$ref', 'summary', 'description', 'servers', 'parameters'];
const OPERATION_FIELDS = ['tags', 'summary', 'description', 'externalDocs', 'operationId', 'parameters', 'requestBody',
  'responses', 'callbacks', 'deprecated', 'security', 'servers'];
const ROOT_FIELDS = ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags',
  'externalDocs'];
const COMPONENT_FIELDS = ['schemas', 'responses', 'parameters', 'examples', 'requestBodies', 'headers', 'securitySchemes', 'links',
  'callbacks', 'pathItems'];

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const unknownFields = (value: Record<string, Json>, allowed: string[]) =>
  Object.keys(value).filter((key) => !allowed.includes(key) && !key.startsWith('x-'));

function resolve(doc: Json, ref: string): Json {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node: Json, part) => (isObject(node) ? node[part] : undefined), doc);
}

const deref = (doc: Json, node: Json): Json => (isObject(node) && typeof node.$ref === 'string' ? resolve(doc, node.$ref) : node);

/** Structural rules of OpenAPI 3.1.x that a generator can get wrong; returns what is broken. */
function structuralProblems(doc: Json): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string) => problems.push(`${where}: ${what}`);

  if (!isObject(doc)) return ['document: not an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) fail('openapi', 'must be 3.1.x');
  for (const key of unknownFields(doc, ROOT_FIELDS)) fail('document', `unknown field ${key}`);
  if (!isObject(doc.info) || typeof doc.info.title !== 'string' || typeof doc.info.version !== 'string') {
    fail('info', 'title and version are required strings');
  }
  if (!isObject(doc.paths)) fail('paths', 'required object');
  if (!isObject(doc.components)) fail('components', 'required here (schemas, responses, security schemes)');
  for (const key of unknownFields(doc.components ?? {}, COMPONENT_FIELDS)) fail('components', `unknown field ${key}`);

  const schemes = doc.components?.securitySchemes ?? {};
  for (const [name, scheme] of Object.entries<Json>(schemes)) {
    if (!['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'].includes(scheme?.type)) fail(`securityScheme ${name}`, 'bad type');
    if (scheme?.type === 'http' && typeof scheme.scheme !== 'string') fail(`securityScheme ${name}`, 'http needs scheme');
  }
  const checkSecurity = (where: string, security: Json) => {
    if (security === undefined) return;
    if (!Array.isArray(security)) return fail(where, 'security must be an array');
    for (const requirement of security) {
      for (const [name, scopes] of Object.entries<Json>(requirement)) {
        if (!(name in schemes)) fail(where, `security names unknown scheme ${name}`);
        if (!Array.isArray(scopes)) fail(where, 'security scopes must be an array');
      }
    }
  };
  checkSecurity('document', doc.security);

  const checkSchema = (where: string, schema: Json) => {
    if (typeof schema === 'boolean') return;
    if (!isObject(schema)) return fail(where, 'schema must be an object or boolean');
    if ('$schema' in schema || '$id' in schema) fail(where, 'embedded schema carries a root-only $schema/$id');
  };
  const checkContent = (where: string, content: Json, requireSchema: boolean) => {
    if (!isObject(content) || Object.keys(content).length === 0) return fail(where, 'content must map media types');
    for (const [type, media] of Object.entries<Json>(content)) {
      if (!/^[a-z]+\/[a-z0-9.+-]+$/.test(type)) fail(where, `bad media type ${type}`);
      if (requireSchema && media?.schema === undefined) fail(`${where} ${type}`, 'schema missing');
      if (media?.schema !== undefined) checkSchema(`${where} ${type}`, media.schema);
    }
  };
  const checkResponse = (where: string, response: Json) => {
    const target = deref(doc, response);
    if (!isObject(target)) return fail(where, 'response does not resolve');
    if (typeof target.description !== 'string') fail(where, 'response description is required');
    for (const [name, header] of Object.entries<Json>(target.headers ?? {})) {
      if (!isObject(header) || (header.schema === undefined && header.content === undefined)) fail(`${where} header ${name}`, 'needs schema');
    }
    if (target.content !== undefined) checkContent(where, target.content, true);
  };

  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    if (!path.startsWith('/')) fail(path, 'path must start with /');
    if (!isObject(item)) {
      fail(path, 'path item must be an object');
      continue;
    }
    for (const key of unknownFields(item, PATH_ITEM_FIELDS)) fail(path, `unknown path item field ${key}`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const method of METHODS.filter((m) => m in item)) {
      const where = `${method.toUpperCase()} ${path}`;
      const op = item[method];
      if (!isObject(op)) {
        fail(where, 'operation must be an object');
        continue;
      }
      for (const key of unknownFields(op, OPERATION_FIELDS)) fail(where, `unknown operation field ${key}`);
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) fail(where, `duplicate operationId ${op.operationId}`);
        operationIds.add(op.operationId);
      }
      checkSecurity(where, op.security);
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => deref(doc, p));
      const seen = new Set<string>();
      for (const parameter of parameters) {
        if (!isObject(parameter) || typeof parameter.name !== 'string') {
          fail(where, 'parameter needs a name');
          continue;
        }
        if (!['query', 'header', 'path', 'cookie'].includes(parameter.in)) fail(where, `parameter ${parameter.name}: bad in`);
        if (seen.has(`${parameter.in}:${parameter.name}`)) fail(where, `parameter ${parameter.name} repeated`);
        seen.add(`${parameter.in}:${parameter.name}`);
        if (parameter.in === 'path' && parameter.required !== true) fail(where, `path parameter ${parameter.name} must be required`);
        if (parameter.in === 'path' && !templated.includes(parameter.name)) fail(where, `path parameter ${parameter.name} not in path`);
        if ((parameter.schema === undefined) === (parameter.content === undefined)) {
          fail(where, `parameter ${parameter.name} needs exactly one of schema/content`);
        }
        if (parameter.schema !== undefined) checkSchema(`${where} ${parameter.name}`, parameter.schema);
      }
      for (const name of templated) {
        if (!seen.has(`path:${name}`)) fail(where, `path template {${name}} has no parameter`);
      }
      if (op.requestBody !== undefined) checkContent(`${where} requestBody`, deref(doc, op.requestBody)?.content, true);
      if (!isObject(op.responses) || Object.keys(op.responses).length === 0) {
        fail(where, 'responses must be a non-empty object');
        continue;
      }
      for (const [code, response] of Object.entries<Json>(op.responses)) {
        if (!/^([1-5](\d\d|XX)|default)$/.test(code)) fail(where, `bad response code ${code}`);
        checkResponse(`${where} ${code}`, response);
      }
    }
  }
  for (const [name, schema] of Object.entries<Json>(doc.components?.schemas ?? {})) checkSchema(`schema ${name}`, schema);
  for (const [name, response] of Object.entries<Json>(doc.components?.responses ?? {})) checkResponse(`response ${name}`, response);

  // Every reference anywhere points at something in this document.
  const walk = (node: Json, at: string) => {
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        walk(child, `${at}/${index}`);
      });
    } else if (isObject(node)) {
      if (typeof node.$ref === 'string' && resolve(doc, node.$ref) === undefined) fail(at, `unresolved $ref ${node.$ref}`);
      for (const [key, child] of Object.entries(node)) walk(child, `${at}/${key}`);
    }
  };
  walk(doc, '#');
  return problems;
}

function operationOf(route: RouteDeclaration): Json {
  return document.paths[route.path]?.[route.method.toLowerCase()];
}

function problemContentType(response: Json): string[] {
  return Object.keys(deref(document, response)?.content ?? {});
}

describe('the document is structurally valid OpenAPI 3.1', () => {
  test('no structural problem', () => {
    expect(structuralProblems(document)).toEqual([]);
  });

  test('the structural check catches what it claims to', () => {
    const broken = JSON.parse(JSON.stringify(document));
    broken.openapi = '3.0.3';
    const trip = broken.paths['/v1/trip-requests/{tripRequestId}'];
    trip.get.parameters = [];
    trip.get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
    trip.patch.security = [{ cookieAuth: [] }];
    delete broken.components.responses.NotFound.description;
    expect(structuralProblems(broken)).toEqual(expect.arrayContaining([
      'openapi: must be 3.1.x',
      'GET /v1/trip-requests/{tripRequestId}: path template {tripRequestId} has no parameter',
      expect.stringMatching(/unresolved \$ref #\/components\/schemas\/Nope/),
      'PATCH /v1/trip-requests/{tripRequestId}: security names unknown scheme cookieAuth',
      'response NotFound: response description is required',
    ]));
  });

  test('it is plain JSON (nothing lost in serialisation)', () => {
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });
});

describe('every route exactly once, as declared', () => {
  test('one operation per route, named by the route id, and nothing else', () => {
    const operations = Object.entries<Json>(document.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => method in item).map((method) => `${method.toUpperCase()} ${path} ${item[method].operationId}`),
    );
    expect(operations.sort()).toEqual(declarations.map((route) => `${route.method} ${route.path} ${route.id}`).sort());
  });

  test.each(declarations.map((route) => [route.id, route] as const))('%s', (_, route) => {
    const op = operationOf(route);
    const codes = Object.keys(op.responses);

    expect(op.security).toEqual(route.access === 'public' ? [] : [{ bearerAuth: [] }]);
    expect(codes).toContain(String(route.successStatus));
    expect(codes.filter((code) => code.startsWith('2'))).toEqual([String(route.successStatus)]);
    const expectPresent = (status: number, present: boolean) => (present ? expect(codes).toContain(String(status)) : expect(codes).not.toContain(String(status)));
    expectPresent(401, route.access === 'authenticated');
    expectPresent(403, route.access === 'authenticated');
    expectPresent(404, route.params !== undefined);
    expectPresent(412, route.conditional === true);
    expectPresent(428, route.method === 'PATCH' || route.ifMatchRequired === true);
    for (const status of [413, 415]) expectPresent(status, route.body !== undefined);
    if (route.body) expect(codes).toContain('422');
    expect(codes).toContain('400');
    for (const code of codes.filter((c) => Number(c) >= 400)) {
      expect(problemContentType(op.responses[code])).toEqual(['application/problem+json']);
    }

    const parameters: Json[] = op.parameters ?? [];
    const named = (where: string) => parameters.filter((p) => p.in === where).map((p) => p.name).sort();
    expect(named('path')).toEqual([...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort());
    const queryKeys = route.query ? Object.keys((route.query as unknown as { shape: object }).shape).sort() : [];
    expect(named('query')).toEqual(queryKeys);
    const idempotency = parameters.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
    const ifMatch = parameters.find((p) => p.in === 'header' && p.name === 'If-Match');
    expect(Boolean(idempotency)).toBe(route.idempotent === true);
    expect(Boolean(ifMatch)).toBe(route.conditional === true);
    if (ifMatch) expect(ifMatch.required).toBe(route.method === 'PATCH' || route.ifMatchRequired === true);

    const success = deref(document, op.responses[String(route.successStatus)]);
    const expectedType = route.produces ?? 'application/json';
    expect(Object.keys(success.content ?? {})).toEqual(route.successStatus === 204 ? [] : [expectedType]);
    if (route.body) {
      expect(Object.keys(op.requestBody.content)).toEqual(['application/json']);
      expect(op.requestBody.required).toBe(true);
    } else {
      expect(op.requestBody).toBeUndefined();
    }
  });
});

describe('schemas say what the code enforces', () => {
  const bodySchema = (id: string) => {
    const route = declarations.find((r) => r.id === id) as RouteDeclaration;
    return deref(document, operationOf(route).requestBody.content['application/json'].schema);
  };
  const responseSchema = (id: string) => {
    const route = declarations.find((r) => r.id === id) as RouteDeclaration;
    return deref(document, operationOf(route).responses[String(route.successStatus)].content['application/json'].schema);
  };

  test('request bodies are strict, and defaulted fields are optional for the client', () => {
    const intake = bodySchema('intake.submit');
    expect(intake.additionalProperties).toBe(false);
    expect([...intake.required].sort())
      .toEqual(['altcha', 'appointmentAt', 'dropoffAddress', 'fullName', 'notifyConsent', 'phone', 'pickupAddress']);
    expect(intake.properties.altcha).toMatchObject({ type: 'string', minLength: 1, maxLength: 4096 });
    expect(intake.properties.fullName).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
    expect(intake.properties.phone.pattern).toBe('^\\+[1-9][0-9]{6,14}$');
    const create = bodySchema('tripRequests.create');
    expect(create.additionalProperties).toBe(false);
    expect(create.required).not.toContain('returnTrip');
    expect(create.properties).not.toHaveProperty('status');
  });

  test('responses list what is always there, and versioned resources carry an ETag', () => {
    expect(responseSchema('intake.submit')).toMatchObject({ properties: { receiptCode: { type: 'string' } }, required: ['receiptCode'] });
    expect(responseSchema('tripRequests.get').required).toEqual(expect.arrayContaining(['id', 'status', 'version']));
    const etagOf = (id: string) => {
      const route = declarations.find((r) => r.id === id) as RouteDeclaration;
      return operationOf(route).responses[String(route.successStatus)].headers?.ETag;
    };
    expect(etagOf('tripRequests.get')).toBeDefined();
    expect(etagOf('tripRequests.create')).toBeDefined();
    expect(etagOf('legs.get')).toBeDefined();
    expect(etagOf('tripRequests.list')).toBeUndefined();
    expect(etagOf('me.get')).toBeUndefined();
    expect(etagOf('intake.submit')).toBeUndefined();
  });

  test('the intake challenge is documented for machine clients: its shape, no-store, and the protocol', () => {
    const route = declarations.find((r) => r.id === 'intake.challenge') as RouteDeclaration;
    const operation = operationOf(route);
    expect(operation.security).toEqual([]);
    expect(operation.description).toMatch(/SHA-256/);
    expect(operation.description).toMatch(/altcha/);
    expect(operation.responses['200'].headers['Cache-Control']).toMatchObject({ schema: { enum: ['no-store'] } });
    expect(responseSchema('intake.challenge')).toMatchObject({
      required: ['algorithm', 'challenge', 'maxnumber', 'salt', 'signature'],
      properties: { algorithm: { const: 'SHA-256' }, maxnumber: { type: 'integer' } },
    });
    const submit = operationOf(declarations.find((r) => r.id === 'intake.submit') as RouteDeclaration);
    expect(submit.description).toMatch(/challenge-failed/);
    expect(responseSchema('riders.get').properties.mergedIntoRiderId).toBeDefined();
  });

  test('limit is bounded to 100 with a default, as the pagination enforces', () => {
    const list = operationOf(declarations.find((r) => r.id === 'tripRequests.list') as RouteDeclaration);
    const limit = list.parameters.find((p: Json) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { maximum: 100, minimum: 1, default: 50 } });
  });
});

/**
 * What a client may send, as a security reviewer reads it: every string bounded (maxLength, enum,
 * const, or a format with its pattern), every array bounded (maxItems), every integer with a
 * format (int32/int64). Walks every operation's request body and parameters (path, query,
 * header), through references, unions and nested objects.
 */
function unboundedInRequests(doc: Json): string[] {
  const found: string[] = [];
  const visit = (schema: Json, at: string, seen: Set<string>): void => {
    if (!isObject(schema)) return;
    if (typeof schema.$ref === 'string') {
      if (seen.has(schema.$ref)) return;
      visit(resolve(doc, schema.$ref), `${at}→${schema.$ref.split('/').pop()}`, new Set([...seen, schema.$ref]));
    }
    const types: string[] = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : [];
    const closed = Array.isArray(schema.enum) || 'const' in schema;
    if (types.includes('string') && !closed && typeof schema.maxLength !== 'number'
      && !(typeof schema.format === 'string' && typeof schema.pattern === 'string')) {
      found.push(`${at}: string without maxLength, enum or format with pattern`);
    }
    if (types.includes('array') && typeof schema.maxItems !== 'number') found.push(`${at}: array without maxItems`);
    if (types.includes('integer') && !['int32', 'int64'].includes(schema.format)) found.push(`${at}: integer without format`);
    if (types.includes('object') && schema.additionalProperties !== false && !isObject(schema.additionalProperties)
      && schema.properties === undefined) {
      found.push(`${at}: object open to any member`);
    }
    for (const [name, property] of Object.entries<Json>(schema.properties ?? {})) visit(property, `${at}.${name}`, seen);
    if (isObject(schema.additionalProperties)) visit(schema.additionalProperties, `${at}.*`, seen);
    if (isObject(schema.items)) visit(schema.items, `${at}[]`, seen);
    for (const keyword of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
      for (const [index, branch] of (schema[keyword] ?? []).entries()) visit(branch, `${at}|${keyword}${index}`, seen);
    }
  };
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of METHODS.filter((m) => m in item)) {
      const op = item[method];
      const where = `${method.toUpperCase()} ${path}`;
      for (const parameter of [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => deref(doc, p))) {
        visit(parameter.schema, `${where} ${parameter.in} ${parameter.name}`, new Set());
      }
      for (const [type, media] of Object.entries<Json>(deref(doc, op.requestBody)?.content ?? {})) {
        visit(media.schema, `${where} body(${type})`, new Set());
      }
    }
  }
  return found;
}

describe('what a client may send is bounded', () => {
  test('every request string, array and integer of every operation', () => {
    expect(unboundedInRequests(document)).toEqual([]);
  });

  test('the walk finds what it claims to, in bodies, parameters and references', () => {
    const broken = JSON.parse(JSON.stringify(document));
    const create = broken.paths['/v1/trip-requests'].post;
    const body = deref(broken, create.requestBody.content['application/json'].schema);
    body.properties.pickupAddress = { type: 'string' };
    body.properties.tags = { type: 'array', items: { type: 'string', maxLength: 5 } };
    body.properties.count = { type: 'integer', minimum: 0 };
    body.properties.freeform = { type: 'object' };
    const list = broken.paths['/v1/trip-requests'].get;
    list.parameters.find((p: Json) => p.name === 'cursor').schema = { type: 'string', pattern: '^.*$' };
    list.parameters.push({ name: 'X-Trace', in: 'header', schema: { anyOf: [{ type: 'string' }, { type: 'null' }] } });
    expect(unboundedInRequests(broken)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^POST \/v1\/trip-requests body.*\.pickupAddress: string without/),
      expect.stringMatching(/\.tags: array without maxItems/),
      expect.stringMatching(/\.count: integer without format/),
      expect.stringMatching(/\.freeform: object open to any member/),
      'GET /v1/trip-requests query cursor: string without maxLength, enum or format with pattern',
      'GET /v1/trip-requests header X-Trace|anyOf0: string without maxLength, enum or format with pattern',
    ]));
  });
});

describe('throttling and tokens, as a reviewer reads them', () => {
  test('every operation documents 429 with Retry-After: API Gateway throttles every route, the firewall rate-limits every address', () => {
    const throttled = document.components.responses.TooManyRequests;
    expect(throttled.headers['Retry-After'].schema).toMatchObject({ type: 'integer', format: 'int32', minimum: 1 });
    expect(throttled.description).toMatch(/Retry-After: 1/);
    expect(throttled.description).toMatch(/Retry-After: 300/);
    expect(Object.keys(throttled.content)).toEqual(['application/problem+json']);
    for (const route of declarations) {
      expect({ route: route.id, answer: operationOf(route).responses['429'] })
        .toEqual({ route: route.id, answer: { $ref: '#/components/responses/TooManyRequests' } });
    }
  });

  test('the bearer scheme states the token rules the verifier applies (RFC 8725)', () => {
    const { description } = document.components.securitySchemes.bearerAuth;
    for (const rule of ['RFC 8725', 'RS256', '`none`', 'HMAC', '`kid`', '`iss`', '`exp`', '`token_use` must be `access`', '`client_id`',
      '`scope`', '60 minutes', 'exactly one role group', '401']) {
      expect(description).toContain(rule);
    }
  });
});

test('npm run openapi writes the same document to openapi.json (or --out)', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'openapi-'));
  const target = join(directory, 'openapi.json');
  try {
    const stdout = await new Promise<string>((done, failed) => {
      execFile(join(ROOT, 'node_modules', '.bin', 'tsx'), [join('scripts', 'openapi.ts'), '--out', target], { cwd: ROOT, timeout: 60_000 },
        (error, out, err) => (error ? failed(new Error(`${error.message}\n${err}`)) : done(out)));
    });
    expect(stdout).toContain(target);
    const written = JSON.parse(readFileSync(target, 'utf8'));
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(written).toEqual(buildOpenApiDocument({ version }));
    expect(structuralProblems(written)).toEqual([]);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
