import { solveChallenge } from 'altcha-lib/v1';

/**
 * `npm run -s intake:demo -- '<intake JSON>'`: what a machine client of the public intake does
 * (the OpenAPI document describes it): GET /v1/intake/challenge, solve the proof of work with
 * altcha-lib, then POST the trip request with the solved challenge as `altcha`. Prints the answer.
 * BASE names the API (default http://127.0.0.1:3000, the local stack).
 */
const USAGE = `usage: npm run -s intake:demo -- '{"fullName":"Pat Example","phone":"+15550100888","pickupAddress":"10 Oak Lane",
  "dropoffAddress":"20 Clinic Way","appointmentAt":"2030-06-04T15:00:00Z","notifyConsent":true}'   (BASE=${'<api origin>'})`;

interface Challenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

async function main(): Promise<number> {
  const [json] = process.argv.slice(2);
  if (!json || json === '--help' || json === '-h') {
    console.error(USAGE);
    return json ? 0 : 2;
  }
  const base = (process.env.BASE || 'http://127.0.0.1:3000').replace(/\/$/, '');
  const request = JSON.parse(json) as Record<string, unknown>;
  const challenge = (await (await fetch(`${base}/v1/intake/challenge`)).json()) as Challenge;
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  if (!solution) throw new Error('the challenge has no solution in its range');
  const altcha = Buffer.from(JSON.stringify({ algorithm: challenge.algorithm, challenge: challenge.challenge, number: solution.number,
    salt: challenge.salt, signature: challenge.signature })).toString('base64');
  const answer = await fetch(`${base}/v1/intake/trip-requests`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...request, altcha }),
  });
  console.log(await answer.text());
  return answer.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
