import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import type { Database } from '../shared/db/port';
import { accessLog, problemResponses, type RequestContext, requestContext, securityHeaders } from '../shared/http/middlewares';
import { Problems } from '../shared/http/problem';
import { parseJsonBody, parseParameters } from '../api/request';
import { routeForResource } from '../api/router';
import type { IntakeBody } from '../api/schemas/admin';

/**
 * The public intake (PRODUCT.md §7, SECURITY S6): no token, one database function, one answer.
 * Its login may only EXECUTE `intake_submit_trip_request`, which finds or creates the rider's
 * individual tenant, records the request, its audit event and its outbox row in one
 * transaction, and returns a receipt code. The answer is built from that code alone, so it is
 * byte-for-byte the same shape whether the rider was known before or not. No outbox hand-off:
 * this login cannot read the outbox id, and the relay sweeps the row.
 */
export interface IntakeDependencies {
  db: Database;
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
      const receiptCode = await submit(deps.db, body, context.requestId ?? context.awsRequestId);
      return {
        statusCode: route.successStatus,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ receiptCode }),
      };
    });
}

async function submit(db: Database, body: IntakeInput, requestId: string): Promise<string> {
  const { rows } = await db.query<{ receipt_code: string }>(
    `SELECT intake_submit_trip_request($1, $2, $3, $4::date, $5, $6, $7::timestamptz, $8::timestamptz, $9,
                                       $10::timestamptz, $11, $12, $13, $14, $15) AS receipt_code`,
    [
      body.fullName,
      body.phone,
      body.email ?? null,
      body.dateOfBirth ?? null,
      body.pickupAddress,
      body.dropoffAddress,
      body.appointmentAt,
      body.requestedPickupAt ?? null,
      body.returnTrip,
      body.requestedReturnAt ?? null,
      body.mobility,
      body.notes ?? null,
      body.notifyChannel,
      body.notifyConsent,
      requestId,
    ],
  );
  const receiptCode = rows[0]?.receipt_code;
  if (!receiptCode) throw Problems.internal();
  return receiptCode;
}
