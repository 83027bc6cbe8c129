/**
 * RFC 9457 problem details. Every error the API answers is one of these: a stable `type`, the
 * HTTP title, a human `detail` written for the client (never an internal message), the request
 * id, and for validation failures the paths that failed (never the offending values).
 */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  /** RFC 9457 extension members of a specific problem type (documented in the OpenAPI document). */
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly detail?: string,
    readonly errors?: { path: string; message: string }[],
    readonly headers?: Record<string, string>,
    /** Why, for the logs only (e.g. which token check failed); never sent to the client. */
    readonly logReason?: string,
    /** Extension members of this problem type, sent after the standard ones (which they never replace). */
    readonly extensions?: Readonly<Record<string, unknown>>,
    /** A title of its own where the status's is too vague for the person reading it. */
    readonly title?: string,
  ) {
    super(detail ?? slug);
    this.name = 'HttpProblem';
  }

  toBody(requestId?: string): ProblemBody {
    const body: ProblemBody = {
      type: `urn:nemt:problem:${this.slug}`,
      title: this.title ?? TITLES[this.status] ?? 'Error',
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(requestId ? { requestId } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
    for (const [name, value] of Object.entries(this.extensions ?? {})) {
      if (!(name in body)) body[name] = value;
    }
    return body;
  }
}

/** A failover or restart takes seconds, not one: a client that waits this long mostly succeeds on its next try. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const Problems = {
  malformedJson: () => new HttpProblem(400, 'malformed-json', 'The request body is not valid JSON.'),
  invalidParameters: (errors?: { path: string; message: string }[]) =>
    new HttpProblem(400, 'invalid-parameters', 'The path or query parameters are invalid.', errors),
  unauthenticated: (logReason?: string) =>
    new HttpProblem(401, 'unauthenticated', 'A valid access token is required.', undefined, {
      'WWW-Authenticate': 'Bearer',
    }, logReason),
  forbidden: (detail = 'Your role may not perform this action.', logReason?: string) =>
    new HttpProblem(403, 'forbidden', detail, undefined, undefined, logReason),
  notFound: (what = 'resource') => new HttpProblem(404, 'not-found', `No such ${what}.`),
  routeNotFound: () => new HttpProblem(404, 'no-such-route', 'No route matches this method and path.'),
  conflict: (slug: string, detail: string) => new HttpProblem(409, slug, detail),
  /** The database refused a driver two overlapping legs; `clash` (Dispatchers only) names the driver's other leg. */
  driverDoubleBooked: (detail = 'The driver already has a leg in that time window.', clash?: object) =>
    new HttpProblem(409, 'driver-double-booked', detail, undefined, undefined, undefined, clash ? { clash } : undefined),
  /** The database refused a vehicle two overlapping legs; `clash` (Dispatchers only) names the vehicle's other leg. */
  vehicleDoubleBooked: (detail = 'The vehicle already has a leg in that time window.', clash?: object) =>
    new HttpProblem(409, 'vehicle-double-booked', detail, undefined, undefined, undefined, clash ? { clash } : undefined),
  /** The vehicle cannot carry the trip's level of service (schema/0022, vehicle_serves). */
  vehicleLacksServiceLevel: (detail = 'The vehicle cannot carry this trip\'s level of service.') =>
    new HttpProblem(409, 'vehicle-lacks-service-level', detail),
  vehicleOutOfService: (detail = 'The vehicle is not in service.') => new HttpProblem(409, 'vehicle-out-of-service', detail),
  /** A completion whose odometer start is below the vehicle's last reading. */
  odometerBelowLastReading: (detail = 'The odometer start is below the vehicle\'s last reading.') =>
    new HttpProblem(422, 'odometer-below-last-reading', detail),
  /** A completion's odometer moves further than MAX_ODOMETER_JUMP_MILES: most likely a typo; `path` names the figure to check. */
  odometerJumpTooLarge: (detail: string, path: string) =>
    new HttpProblem(422, 'odometer-jump-too-large', detail, [{ path, message: 'Larger than a leg can be: likely a typo' }]),
  /** The public intake's proof of work is missing its solution, wrong, forged, expired or already spent (S28): one answer for all. */
  challengeFailed: (logReason: string) => new HttpProblem(422, 'challenge-failed',
    'The request could not be verified. Reload the page and send it again.',
    [{ path: 'altcha', message: 'The verification is missing, wrong, expired or already used.' }], undefined, logReason, undefined,
    'Request not verified'),
  invoiceNumberTaken: () => new HttpProblem(409, 'invoice-number-taken',
    'Another billing record already has this invoice number; give this record its own.'),
  stale: () => new HttpProblem(412, 'stale-version', 'The resource changed since you read it; read it again.'),
  preconditionRequired: () =>
    new HttpProblem(428, 'if-match-required', 'Send If-Match with the ETag you read, to avoid lost updates.'),
  tooLarge: (limit: number) => new HttpProblem(413, 'body-too-large', `The body must not exceed ${limit} bytes.`),
  unsupportedMediaType: () => new HttpProblem(415, 'unsupported-media-type', 'Send the body as application/json.'),
  validation: (errors: { path: string; message: string }[]) =>
    new HttpProblem(422, 'validation', 'The request body is invalid.', errors),
  unprocessable: (slug: string, detail: string) => new HttpProblem(422, slug, detail),
  internal: () => new HttpProblem(500, 'internal', 'Something went wrong on our side. Quote the request id.'),
  unavailable: () => new HttpProblem(503, 'unavailable', 'Try again shortly.', undefined, { 'Retry-After': '1' }),
  /**
   * The database is restarting, failing over or unreachable. `code` (a SQLSTATE such as 57P01 or
   * 08001) goes to the access log only. The detail promises nothing about the write: a connection
   * lost while COMMIT travelled leaves it unknown, which the same Idempotency-Key resolves.
   */
  databaseUnavailable: (code?: string) => new HttpProblem(503, 'unavailable', 'The service is briefly unavailable. Try again in a '
    + 'few seconds (with the same Idempotency-Key, if the request has one).', undefined,
  { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) }, `database_unavailable${code ? `:${code}` : ''}`),
  /** API Gateway's throttling (a token bucket refilled every second) answers this: a second later there is room again. */
  tooManyRequests: () => new HttpProblem(429, 'too-many-requests', 'Too many requests; slow down and try again shortly.', undefined,
    { 'Retry-After': '1' }),
};
