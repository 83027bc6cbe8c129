import type { HandlerTable } from '../handler-types';
import { accountHandlers } from './account';
import { billingHandlers } from './billing';
import { billingCodeHandlers } from './billing-codes';
import { cancellationHandlers } from './cancellations';
import { contactHandlers } from './contacts';
import { directoryHandlers } from './directory';
import { legHandlers } from './legs';
import { riderMergeHandlers } from './rider-merge';
import { riderRightsHandlers } from './rider-rights';
import { standingOrderHandlers } from './standing-orders';
import { tripRequestHandlers } from './trip-requests';
import { userRoleHandlers } from './user-role';
import { vehicleHandlers } from './vehicles';

/** Binds every API route id to its handler; the HandlerTable type rejects a missing or extra one. */
export const apiHandlers: HandlerTable = {
  ...accountHandlers,
  ...tripRequestHandlers,
  ...cancellationHandlers,
  ...legHandlers,
  ...billingHandlers,
  ...billingCodeHandlers,
  ...directoryHandlers,
  ...userRoleHandlers,
  ...contactHandlers,
  ...riderRightsHandlers,
  ...riderMergeHandlers,
  ...vehicleHandlers,
  ...standingOrderHandlers,
};
