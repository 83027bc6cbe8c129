import { IntakeBody, IntakeChallenge, IntakeReceipt } from './schemas/intake';
import { route } from './route-types';

/** The intake's proof of work (SECURITY S28), for machine clients reading the OpenAPI document. */
const INTAKE_CHALLENGE_PROTOCOL = 'Public: no token. An ALTCHA challenge (SHA-256, altcha-lib v1 format), valid for 10 minutes '
  + '(the expiry is signed into `salt`) and for one request. Solve it by finding the integer `number` in [0, maxnumber] '
  + 'whose SHA-256 of `salt + number` (hex) equals `challenge` (altcha-lib: `solveChallenge(challenge, salt, algorithm, maxnumber)`), '
  + 'then send base64(JSON.stringify({ algorithm, challenge, number, salt, signature })) as `altcha` with the trip request. '
  + 'Answers are never cached (Cache-Control: no-store).';
const INTAKE_SUBMIT_PROTOCOL = 'Public: no token. Rate-limited; answers only a receipt code. Needs `altcha`, a solved challenge '
  + 'from GET /v1/intake/challenge: a missing one is a validation problem at `altcha`; a wrong, forged, expired or already '
  + 'used one answers 422 `urn:nemt:problem:challenge-failed` (fetch a new challenge and send again). SMS receipts go only '
  + 'to the configured country calling codes (422 at `phone` otherwise), and at most a few receipts a day go to one '
  + 'destination: later requests are accepted the same way, without a message. Every request creates its own record '
  + 'with the contact it gives; messages about it go only there.';

/**
 * The public intake's two routes, apart from the rest of the table (routes.ts spreads them in):
 * the intake Lambda reads only these, so it never builds the signed-in API's schemas (P1).
 */
export const intakeRoutes = [
  route({ id: 'intake.challenge', function: 'intake', access: 'public', method: 'GET', path: '/v1/intake/challenge',
    summary: 'A proof-of-work challenge for one public trip request', roles: [], response: IntakeChallenge, successStatus: 200,
    description: INTAKE_CHALLENGE_PROTOCOL }),
  route({ id: 'intake.submit', function: 'intake', access: 'public', method: 'POST', path: '/v1/intake/trip-requests',
    summary: 'Public trip request (write-only; answers only a receipt code)', roles: [], body: IntakeBody,
    response: IntakeReceipt, successStatus: 202, description: INTAKE_SUBMIT_PROTOCOL }),
] as const;

type IntakeRoute = (typeof intakeRoutes)[number];

const byResource = new Map<string, IntakeRoute>(intakeRoutes.map((declared) => [`${declared.method} ${declared.path}`, declared]));

/** The intake route API Gateway invoked (its `resource`), if it is one. */
export function intakeRouteForResource(method: string, resource: string): IntakeRoute | undefined {
  return byResource.get(`${method} ${resource}`);
}
