import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { randomUUID } from 'node:crypto';
import type { PiiCrypto, RiderKey, TenantKey } from '../shared/crypto/pii';
import { type Database, DatabaseError, type Queryable, SqlState } from '../shared/db/port';
import { accessLog, problemResponses, type RequestContext, requestContext, securityHeaders } from '../shared/http/middlewares';
import { Problems } from '../shared/http/problem';
import { parseJsonBody, parseParameters } from '../api/request';
import { routeForResource } from '../api/router';
import type { IntakeBody } from '../api/schemas/admin';

/**
 * The public intake (PRODUCT.md §7, SECURITY S6): no token, one transaction, one answer. Its
 * login may only EXECUTE the intake functions (schema/0011), which find or create the rider's
 * individual tenant, record the request, its audit event and its outbox row, and return a
 * receipt code; the rider's details arrive sealed. The answer is built from that code alone, so it is
 * byte-for-byte the same shape whether the rider was known before or not. No outbox hand-off:
 * this login cannot read the outbox id, and the relay sweeps the row.
 */
export interface IntakeDependencies {
  db: Database;
  /** Seals the rider's details before they reach the database (docs/security/encryption.md). */
  pii: PiiCrypto;
}

type IntakeInput = z.output<typeof IntakeBody>;

export function createIntakeHandler(deps: IntakeDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RequestContext>()
    .use(requestContext())
    .use(accessLog())
    .use(securityHeaders())
    .use(problemResponses())
    .handler(async (event, context) => {
      const route = routeForResource(event.httpMethod, event.resource);
      if (route?.function !== 'intake') throw Problems.routeNotFound();
      context.routeId = route.id;
      parseParameters(event.queryStringParameters, undefined);
      const body = parseJsonBody(event, route.body) as IntakeInput;
      if (body.returnTrip !== 'scheduled' && body.requestedReturnAt) {
        throw Problems.validation([{ path: 'requestedReturnAt', message: 'Only for a scheduled return trip' }]);
      }
      const receiptCode = await submit(deps, body, context.requestId ?? context.awsRequestId);
      return {
        statusCode: route.successStatus,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ receiptCode }),
      };
    });
}

interface Prepared {
  facility_id: string;
  rider_id: string;
  known: boolean;
  tenant_key_version: number | null;
  tenant_key: Buffer | null;
  rider_key: Buffer | null;
}

/** A concurrent submission changed the lookup (the lock makes this all but impossible): prepare again. */
const ATTEMPTS = 3;

async function submit(deps: IntakeDependencies, body: IntakeInput, requestId: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deps.db.transaction((tx) => submitOnce(deps.pii, tx, body, requestId));
    } catch (error) {
      if (attempt < ATTEMPTS && error instanceof DatabaseError && error.code === SqlState.serializationFailure) continue;
      throw error;
    }
  }
}

/**
 * One transaction, two calls (schema/0011): prepare (takes the phone's lock, finds the known
 * rider or allots fresh ids), then seal everything under the right keys and submit. The
 * database never receives a plaintext name, phone, email, date of birth or note.
 */
async function submitOnce(pii: PiiCrypto, tx: Queryable, body: IntakeInput, requestId: string): Promise<string> {
  const intakeIndex = await pii.intakePhoneIndex(tx, body.phone);
  const { rows } = await tx.query<Prepared>(
    'SELECT facility_id, rider_id, known, tenant_key_version, tenant_key, rider_key FROM intake_prepare($1)', [intakeIndex]);
  const prepared = rows[0];
  if (!prepared) throw Problems.internal();
  const facilityId = prepared.facility_id;
  const riderId = prepared.rider_id;

  let tenantKey: TenantKey;
  let riderKey: RiderKey;
  let newTenant: { wrapped: Buffer; masterKeyId: string } | undefined;
  let newRiderKey: Buffer | undefined;
  if (prepared.known) {
    if (!prepared.tenant_key || prepared.tenant_key_version === null || !prepared.rider_key) throw Problems.internal();
    tenantKey = await pii.openStoredTenantKey({ facilityId, version: prepared.tenant_key_version, wrapped: prepared.tenant_key });
    const opened = pii.openRiderKeyWith(tenantKey, riderId, prepared.rider_key);
    // Logged by the key code; an operator must look. The caller is asked to retry, as for any outage.
    if (typeof opened === 'string') throw Problems.unavailable();
    riderKey = opened;
  } else {
    const generated = await pii.generateTenantKey(facilityId);
    tenantKey = generated.key;
    newTenant = generated;
    const fresh = pii.newRiderKey(tenantKey, riderId);
    riderKey = fresh.key;
    newRiderKey = fresh.wrapped;
  }

  const tripId = randomUUID();
  const riderField = (column: string, value: string | null) =>
    newRiderKey ? pii.sealField(riderKey, { table: 'riders', column, rowId: riderId, facilityId }, value) : null;
  const { rows: submitted } = await tx.query<{ receipt_code: string }>(
    `SELECT intake_submit_trip_request($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
       $17::timestamptz, $18::timestamptz, $19, $20::timestamptz, $21, $22, $23, $24, $25) AS receipt_code`,
    [
      facilityId,
      riderId,
      tripId,
      intakeIndex,
      newTenant?.wrapped ?? null,
      newTenant ? pii.provider.name : null,
      newTenant?.masterKeyId ?? null,
      newRiderKey ?? null,
      riderField('full_name_enc', body.fullName),
      riderField('phone_enc', body.phone),
      riderField('email_enc', body.email ?? null),
      riderField('date_of_birth_enc', body.dateOfBirth ?? null),
      newRiderKey ? pii.phoneIndex(tenantKey, body.phone) : null,
      newRiderKey && body.email ? pii.emailIndex(tenantKey, body.email) : null,
      body.pickupAddress,
      body.dropoffAddress,
      body.appointmentAt,
      body.requestedPickupAt ?? null,
      body.returnTrip,
      body.requestedReturnAt ?? null,
      body.mobility,
      pii.sealField(riderKey, { table: 'trip_requests', column: 'clinical_notes_enc', rowId: tripId, facilityId }, body.notes ?? null),
      body.notifyChannel,
      body.notifyConsent,
      requestId,
    ],
  );
  const receiptCode = submitted[0]?.receipt_code;
  if (!receiptCode) throw Problems.internal();
  return receiptCode;
}
