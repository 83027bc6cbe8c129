import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { randomUUID } from 'node:crypto';
import type { PiiCrypto } from '../shared/crypto/pii';
import type { Database, Queryable } from '../shared/db/port';
import { describeCallingCodes, smsDestinationAllowed } from '../shared/domain/sms-destinations';
import { accessLog, problemResponses, type RequestContext, requestContext, securityHeaders } from '../shared/http/middlewares';
import { Problems } from '../shared/http/problem';
import { parseJsonBody, parseParameters } from '../api/request';
import { intakeRouteForResource } from '../api/intake-routes';
import type { IntakeBody } from '../api/schemas/intake';
import { issueChallenge, verifyChallenge } from './challenge';
import { DEFAULT_INTAKE_SETTINGS, type IntakeSettings } from './settings';

/**
 * The public intake (PRODUCT.md §7, SECURITY S6, S28): no token, one transaction, one answer. Its
 * login may only EXECUTE the intake functions (schema/0019). Two routes: a proof-of-work
 * challenge, and the submission that spends one. A submission never looks up, reuses or changes a
 * stored rider: it always creates its own individual tenant and rider with the contact it gives,
 * so nothing about an existing rider (who gets messages, whether there is one) can be chosen or
 * learned here. The answer is built from the receipt code alone. No outbox hand-off: this login
 * cannot read the outbox id, and the relay sweeps the row.
 */
export interface IntakeDependencies {
  db: Database;
  /** Seals the rider's details before they reach the database (docs/security/encryption.md). */
  pii: PiiCrypto;
  settings?: Partial<IntakeSettings>;
  /** The clock challenges are issued by (tests issue expired ones). */
  now?: () => number;
}

type IntakeInput = z.output<typeof IntakeBody>;

export function createIntakeHandler(deps: IntakeDependencies) {
  const settings: IntakeSettings = { ...DEFAULT_INTAKE_SETTINGS, ...deps.settings };
  const now = deps.now ?? Date.now;
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RequestContext>()
    .use(requestContext())
    .use(accessLog())
    .use(securityHeaders())
    .use(problemResponses())
    .handler(async (event, context) => {
      const route = intakeRouteForResource(event.httpMethod, event.resource);
      if (!route) throw Problems.routeNotFound();
      context.routeId = route.id;
      parseParameters(event.queryStringParameters, undefined);
      const json = (body: unknown) => ({
        statusCode: route.successStatus, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      if (route.id === 'intake.challenge') {
        const key = await deps.db.transaction((tx) => deps.pii.intakeChallengeKey(tx));
        return json(await issueChallenge(key, settings.challengeMaxNumber, now()));
      }
      const body = parseJsonBody(event, route.body) as IntakeInput;
      if (body.returnTrip !== 'scheduled' && body.requestedReturnAt) {
        throw Problems.validation([{ path: 'requestedReturnAt', message: 'Only for a scheduled return trip' }]);
      }
      if (body.notifyChannel === 'sms' && !smsDestinationAllowed(body.phone, settings.smsAllowedCallingCodes)) {
        throw Problems.validation([{ path: 'phone', message: `Text messages can only go to numbers starting with `
          + `${describeCallingCodes(settings.smsAllowedCallingCodes)}. Choose email or no messages, or give another number.` }]);
      }
      const receiptCode = await deps.db.transaction((tx) =>
        submit(deps.pii, settings, tx, body, context.requestId ?? context.awsRequestId));
      return json({ receiptCode });
    });
}

/** Verifies the proof of work and spends it in this transaction: a replay finds it spent and rolls back. */
async function spendChallenge(pii: PiiCrypto, tx: Queryable, altcha: string): Promise<void> {
  const verified = await verifyChallenge(altcha, await pii.intakeChallengeKey(tx));
  if (!verified) throw Problems.challengeFailed('challenge did not verify');
  const { rows } = await tx.query<{ spent: boolean }>('SELECT intake_spend_challenge($1, $2) AS spent',
    [verified.hash, verified.expiresAt.toISOString()]);
  if (rows[0]?.spent !== true) throw Problems.challengeFailed('challenge already spent');
}

/**
 * The destination a receipt would go to, as a provider-level blind index (never plaintext), for
 * the per-destination daily limit; null when nothing will be sent.
 */
async function destinationIndex(pii: PiiCrypto, tx: Queryable, body: IntakeInput, phoneIndex: Buffer): Promise<Buffer | null> {
  if (!body.notifyConsent) return null;
  if (body.notifyChannel === 'sms') return phoneIndex;
  if (body.notifyChannel === 'email' && body.email) return pii.intakeEmailIndex(tx, body.email);
  return null;
}

/**
 * One transaction: spend the challenge, generate the new tenant's and rider's keys, seal every
 * field, submit. The database never receives a plaintext name, phone, email, date of birth or
 * note, and the work is the same whether the phone was seen before or not.
 */
async function submit(pii: PiiCrypto, settings: IntakeSettings, tx: Queryable, body: IntakeInput, requestId: string): Promise<string> {
  await spendChallenge(pii, tx, body.altcha);
  const facilityId = randomUUID();
  const riderId = randomUUID();
  const tripId = randomUUID();
  const intakeIndex = await pii.intakePhoneIndex(tx, body.phone);
  const tenant = await pii.generateTenantKey(facilityId);
  const rider = pii.newRiderKey(tenant.key, riderId);
  const riderField = (column: string, value: string | null) =>
    pii.sealField(rider.key, { table: 'riders', column, rowId: riderId, facilityId }, value);
  const { rows } = await tx.query<{ receipt_code: string }>(
    `SELECT intake_submit_trip_request($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
       $17::timestamptz, $18::timestamptz, $19, $20::timestamptz, $21, $22, $23, $24, $25, $26, $27, $28, $29) AS receipt_code`,
    [
      facilityId,
      riderId,
      tripId,
      intakeIndex,
      tenant.wrapped,
      pii.provider.name,
      tenant.masterKeyId,
      rider.wrapped,
      riderField('full_name_enc', body.fullName),
      riderField('phone_enc', body.phone),
      riderField('email_enc', body.email ?? null),
      riderField('date_of_birth_enc', body.dateOfBirth ?? null),
      pii.phoneIndex(tenant.key, body.phone),
      body.email ? pii.emailIndex(tenant.key, body.email) : null,
      body.pickupAddress,
      body.dropoffAddress,
      body.appointmentAt,
      body.requestedPickupAt ?? null,
      body.returnTrip,
      body.requestedReturnAt ?? null,
      body.mobility,
      pii.sealField(rider.key, { table: 'trip_requests', column: 'clinical_notes_enc', rowId: tripId, facilityId }, body.notes ?? null),
      body.notifyChannel,
      body.notifyConsent,
      requestId,
      await destinationIndex(pii, tx, body, intakeIndex),
      settings.receiptsPerDestinationPerDay,
      body.oxygen,
      body.companions,
    ],
  );
  const receiptCode = rows[0]?.receipt_code;
  if (!receiptCode) throw Problems.internal();
  return receiptCode;
}
