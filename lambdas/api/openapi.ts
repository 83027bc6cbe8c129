import { z } from 'zod';
import { ACCESS_TOKEN_MAX_MINUTES } from '../shared/auth/token-lifetime';
import { DATABASE_RETRY_AFTER_SECONDS } from '../shared/http/problem';
import { MAX_BODY_BYTES, WAF_RATE_RETRY_AFTER_SECONDS } from './limits';
import type { RouteDeclaration } from './route-types';
import { routes } from './routes';
import * as adminSchemas from './schemas/admin';
import * as intakeSchemas from './schemas/intake';
import * as standingOrderSchemas from './schemas/standing-orders';
import * as tripSchemas from './schemas/trips';
import * as vehicleSchemas from './schemas/vehicles';

/**
 * The OpenAPI 3.1 description of the API, generated from the route table and its zod schemas
 * (`npm run openapi`). Pure: no I/O, no runtime dependencies beyond zod, so tests and tools can
 * import it. Requests are described as the client may send them (zod `input`: defaults make a
 * field optional), responses as the API sends them (zod `output`).
 */
export interface OpenApiOptions {
  version: string;
  servers?: { url: string; description?: string }[];
}

type JsonSchema = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON assembled from parts
type Json = any;

const COMPONENT_REF = (name: string) => `#/components/schemas/${name}`;

const Problem = z.object({
  type: z.string().describe('Stable URN naming the problem, e.g. urn:nemt:problem:validation'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional().describe('Quote it when asking for support'),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional()
    .describe('The failing paths of a validation problem (never the offending values)'),
  // Extension members (RFC 9457 §3.2) of specific problem types:
  clash: tripSchemas.DoubleBookingClash.optional(),
});

interface ProblemAnswer {
  status: number;
  name: string;
  description: string;
  headers?: Record<string, Json>;
  applies: (route: RouteDeclaration) => boolean;
}

/** Problem answers: when each applies to a route, and what it means. */
const PROBLEMS: readonly ProblemAnswer[] = [
  { status: 400, name: 'BadRequest', description: 'Malformed JSON, or invalid or unknown path/query parameters or headers.',
    applies: () => true },
  { status: 401, name: 'Unauthorized', description: 'No valid access token.',
    applies: (route) => route.access === 'authenticated' },
  { status: 403, name: 'Forbidden', description: 'The caller\'s role may not perform this action, or the account is not set up.',
    applies: (route) => route.access === 'authenticated' },
  { status: 404, name: 'NotFound', description: 'No such resource visible to the caller (other tenants\' resources included).',
    applies: (route) => route.params !== undefined },
  { status: 409, name: 'Conflict', description: 'The change is not allowed in the resource\'s current state, or collides with another. '
      + 'A refused double booking (urn:nemt:problem:driver-double-booked) names the driver\'s clashing leg in `clash` (Dispatchers only).',
    applies: (route) => route.access === 'authenticated' && route.method !== 'GET' },
  { status: 412, name: 'PreconditionFailed', description: 'If-Match does not name the current version; read the resource again.',
    applies: (route) => route.conditional === true },
  { status: 413, name: 'ContentTooLarge', description: `The body exceeds ${MAX_BODY_BYTES} bytes.`,
    applies: (route) => route.body !== undefined },
  { status: 415, name: 'UnsupportedMediaType', description: 'The body is not sent as application/json.',
    applies: (route) => route.body !== undefined },
  { status: 422, name: 'UnprocessableContent', description: 'The body breaks the schema or a rule, an Idempotency-Key is reused '
    + 'for a different request, or (public intake) its proof of work is missing, wrong, expired or already used (`challenge-failed`).',
    applies: (route) => route.body !== undefined || route.idempotent === true },
  { status: 428, name: 'PreconditionRequired', description: 'Send If-Match with the ETag you read.',
    applies: (route) => route.method === 'PATCH' || route.ifMatchRequired === true },
  { status: 429, name: 'TooManyRequests', description: 'Too many requests; wait as long as Retry-After says. Every route is '
      + 'throttled by API Gateway (per stage; the public intake per method, tighter): that answer is this problem with '
      + '`Retry-After: 1`. Every route is also behind per-IP rate rules of the web application firewall (a tighter one for '
      + `the public intake), counted over five minutes: that answer carries \`Retry-After: ${WAF_RATE_RETRY_AFTER_SECONDS}\` and the `
      + 'same problem body, sent as application/json. No RateLimit-* headers are sent.',
    headers: {
      'Retry-After': { description: 'Seconds to wait before trying again.',
        schema: { type: 'integer', format: 'int32', minimum: 1, maximum: WAF_RATE_RETRY_AFTER_SECONDS } },
    },
    applies: () => true },
  { status: 500, name: 'InternalServerError', description: 'Something went wrong on the server; quote the request id.',
    applies: () => true },
  { status: 503, name: 'ServiceUnavailable', description: 'A service the API depends on (the database during a failover or '
      + 'restart, the key service, the identity provider) cannot answer right now. Nothing of the request was kept unless it '
      + 'was committed before the connection was lost: repeat it after Retry-After, with the same Idempotency-Key when the '
      + 'route takes one, and the answer tells which.',
    headers: {
      'Retry-After': { description: 'Seconds to wait before trying again.',
        schema: { type: 'integer', format: 'int32', minimum: 1, maximum: DATABASE_RETRY_AFTER_SECONDS } },
    },
    applies: () => true },
];

/** What the API checks of a token (lambdas/shared/auth/verifier.ts, claims.ts), as RFC 8725 asks a consumer to. */
const BEARER_RULES = 'A Cognito access token (a JWT), sent as `Authorization: Bearer <token>`. Verified as RFC 8725 (JWT Best '
  + 'Current Practices) asks: only RS256 is accepted (never `none`, never an HMAC algorithm, whatever the header says), signed by '
  + 'a key of the user pool\'s JWKS named by `kid`; `iss` must be the user pool, `exp` must be present and not passed, `nbf` '
  + 'when present must have come; `token_use` must be `access` (ID tokens and any other JWT the pool issues are refused: the '
  + 'kind of token is checked, not assumed), `client_id` one of the API\'s app clients, and `scope` must carry the API scope. '
  + `Access tokens live at most ${ACCESS_TOKEN_MAX_MINUTES} minutes. The claims must name exactly one role group; facility `
  + 'roles carry their facility (and contact) claims, staff none. Every request then checks in the database that the user is '
  + 'still active with that role and tenant (a disabled user is refused at once). Any failure is 401 with '
  + '`WWW-Authenticate: Bearer`, the same answer whatever failed.';

const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$';

/** Export names of the route-level schemas, so the document names them as the code does. */
function exportedNames(): Map<z.ZodType, string> {
  const names = new Map<z.ZodType, string>();
  for (const module of [tripSchemas, adminSchemas, vehicleSchemas, standingOrderSchemas, intakeSchemas]) {
    for (const [name, value] of Object.entries(module)) {
      if (value instanceof z.ZodType && !names.has(value)) names.set(value, name);
    }
  }
  return names;
}

/** Names a page of a named item `<Item>Page`; anything else unnamed stays inline. */
function nameOf(schema: z.ZodType, names: Map<z.ZodType, string>): string | undefined {
  const named = names.get(schema);
  if (named) return named;
  if (schema instanceof z.ZodObject) {
    const items = schema.shape.items;
    if (items instanceof z.ZodArray && 'nextCursor' in schema.shape) {
      const item = names.get(items.element as z.ZodType);
      if (item) return `${item}Page`;
    }
  }
  return undefined;
}

/** Strips the per-schema keywords that only make sense at a document root. */
function embedded(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/**
 * Every integer says how wide it is: int32 when its bounds fit 32 bits, int64 otherwise (zod's
 * safe-integer bounds fit an int64), so a client and a reviewer know what a value may be.
 */
function integerFormat({ jsonSchema }: { jsonSchema: JsonSchema }): void {
  if (jsonSchema.type !== 'integer' || 'format' in jsonSchema) return;
  const { minimum, maximum } = jsonSchema as { minimum?: number; maximum?: number };
  const fits32 = typeof minimum === 'number' && typeof maximum === 'number' && minimum >= INT32.min && maximum <= INT32.max;
  jsonSchema.format = fits32 ? 'int32' : 'int64';
}

const JSON_SCHEMA_OPTIONS = { target: 'draft-2020-12', unrepresentable: 'any', override: integerFormat } as const;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return embedded(z.toJSONSchema(schema, { ...JSON_SCHEMA_OPTIONS, io }) as JsonSchema);
}

interface SchemaCatalogue {
  components: Record<string, JsonSchema>;
  reference(schema: z.ZodType, io: 'input' | 'output'): JsonSchema;
}

/**
 * Route-level body and response schemas become named components (one zod registry per
 * direction, so nested named schemas become references); the rest is inlined.
 */
function catalogue(declarations: readonly RouteDeclaration[]): SchemaCatalogue {
  const names = exportedNames();
  const used = { input: new Map<z.ZodType, string>(), output: new Map<z.ZodType, string>() };
  for (const route of declarations) {
    for (const [schema, io] of [[route.body, 'input'], [route.response, 'output']] as const) {
      if (!schema) continue;
      const name = nameOf(schema, names);
      if (name) used[io].set(schema, name);
      if (name?.endsWith('Page')) {
        const item = (schema as z.ZodObject).shape.items as z.ZodArray;
        used[io].set(item.element as z.ZodType, nameOf(item.element as z.ZodType, names) as string);
      }
    }
  }
  // A schema both sent and received is described twice: what a client may send differs (defaults).
  for (const [schema, name] of used.input) {
    if (used.output.has(schema)) used.input.set(schema, `${name}Input`);
  }

  const components: Record<string, JsonSchema> = {};
  for (const io of ['input', 'output'] as const) {
    if (used[io].size === 0) continue;
    const registry = z.registry<{ id: string }>();
    for (const [schema, id] of used[io]) registry.add(schema, { id });
    const generated = z.toJSONSchema(registry, { ...JSON_SCHEMA_OPTIONS, io, uri: COMPONENT_REF });
    for (const [id, schema] of Object.entries(generated.schemas)) components[id] = embedded(schema as JsonSchema);
  }
  components.Problem = toSchema(Problem, 'output');

  return {
    components,
    reference(schema, io) {
      const name = used[io].get(schema);
      return name ? { $ref: COMPONENT_REF(name) } : toSchema(schema, io);
    },
  };
}

function parametersFrom(schema: z.ZodType | undefined, location: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function headerParameters(route: RouteDeclaration): Json[] {
  const headers: Json[] = [];
  if (route.idempotent) {
    headers.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Makes a retried create safe: the same key and body replay the first answer; '
        + 'the same key with a different body is refused (422).',
      schema: { type: 'string', maxLength: 128, pattern: IDEMPOTENCY_KEY_PATTERN },
    });
  }
  if (route.conditional) {
    headers.push({
      name: 'If-Match',
      in: 'header',
      required: route.method === 'PATCH' || route.ifMatchRequired === true,
      description: 'The ETag you read; a stale one is refused with 412'
        + (route.method === 'PATCH' || route.ifMatchRequired ? ', a missing one with 428.' : '.'),
      schema: { type: 'string', maxLength: 13, pattern: '^(W/)?"\\d{1,9}"$' },
    });
  }
  return headers;
}

/** Whether answers carry the resource version (every branch of a union must). */
function isVersioned(schema: JsonSchema | undefined, components: Record<string, JsonSchema>): boolean {
  if (!schema) return false;
  if (typeof schema.$ref === 'string') return isVersioned(components[schema.$ref.split('/').pop() as string], components);
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (branches) return branches.every((branch) => isVersioned(branch, components));
  const properties = schema.properties as Record<string, unknown> | undefined;
  return properties !== undefined && 'version' in properties;
}

function successResponse(route: RouteDeclaration, schemas: SchemaCatalogue): Json {
  if (route.successStatus === 204) return { description: 'Done; no content.' };
  if (route.produces === 'text/csv') {
    return { description: route.summary, content: { 'text/csv': { schema: { type: 'string' } } } };
  }
  const headers: Json = {};
  const schema = route.response ? schemas.reference(route.response, 'output') : {};
  if (isVersioned(schema, schemas.components)) {
    headers.ETag = { description: 'The resource version; send it back as If-Match to change the resource.',
      schema: { type: 'string' } };
  }
  if (route.access === 'public' && route.method === 'GET') {
    headers['Cache-Control'] = { description: 'Always `no-store`: a challenge is for one request.', schema: { type: 'string', enum: ['no-store'] } };
  }
  if (route.idempotent) {
    headers['Idempotent-Replayed'] = { description: '`true` when this is the stored answer to an earlier request with the same key.',
      schema: { type: 'string', enum: ['true'] } };
  }
  return {
    description: route.access === 'public' && route.successStatus === 202 ? `${route.summary}. Accepted.` : route.summary,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    content: { 'application/json': { schema } },
  };
}

function operation(route: RouteDeclaration, schemas: SchemaCatalogue): Json {
  const responses: Json = { [String(route.successStatus)]: successResponse(route, schemas) };
  for (const problem of PROBLEMS) {
    if (problem.applies(route)) responses[String(problem.status)] = { $ref: `#/components/responses/${problem.name}` };
  }
  const parameters = [
    ...parametersFrom(route.params, 'path'),
    ...parametersFrom(route.query, 'query'),
    ...headerParameters(route),
  ];
  return {
    operationId: route.id,
    summary: route.summary,
    tags: [route.id.split('.')[0]],
    ...(route.access === 'public'
      ? { description: route.description ?? 'Public: no token. Rate-limited; answers only a receipt code.' }
      : { description: `Roles: ${route.roles.join(', ')}.`, 'x-roles': [...route.roles] }),
    security: route.access === 'public' ? [] : [{ bearerAuth: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemas.reference(route.body, 'input') } } } }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(options: OpenApiOptions, declarations: readonly RouteDeclaration[] = routes): Json {
  const schemas = catalogue(declarations);
  const paths: Json = {};
  for (const route of declarations) {
    paths[route.path] ??= {};
    const method = route.method.toLowerCase();
    if (paths[route.path][method]) throw new Error(`route declared twice: ${route.method} ${route.path}`);
    paths[route.path][method] = operation(route, schemas);
  }
  const problemContent = { 'application/problem+json': { schema: { $ref: COMPONENT_REF('Problem') } } };
  const responses = Object.fromEntries(
    PROBLEMS.map((problem) => [
      problem.name,
      {
        description: problem.description,
        ...(problem.status === 401
          ? { headers: { 'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string' } } } }
          : {}),
        ...(problem.headers ? { headers: problem.headers } : {}),
        content: problemContent,
      },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'NEMT Dispatch API',
      version: options.version,
      description: 'Trip intake, dispatch, completion and billing for a non-emergency medical transport provider. '
        + 'Errors are RFC 9457 problem details; every mutable resource carries an ETag.',
    },
    ...(options.servers ? { servers: options.servers } : {}),
    tags: [...new Set(declarations.map((route) => route.id.split('.')[0] as string))].map((name) => ({ name })),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: BEARER_RULES,
        },
      },
      schemas: schemas.components,
      responses,
    },
  };
}
