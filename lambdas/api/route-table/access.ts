import type { Role } from '../../shared/tenancy/actor';

/** Who may call, shared by the route groups (PRODUCT.md §2, the permission matrix). */
export const ALL: readonly Role[] = ['Dispatcher', 'Driver', 'Billing', 'FacilityAdmin', 'FacilityUser'];
export const TRIP_READERS: readonly Role[] = ['Dispatcher', 'Billing', 'FacilityAdmin', 'FacilityUser'];
export const TRIP_WRITERS: readonly Role[] = ['Dispatcher', 'FacilityAdmin', 'FacilityUser'];
/** The contacts' readers, as their row-level policies allow (facility roles their own facility's). */
export const CONTACT_READERS: readonly Role[] = ['Dispatcher', 'Billing', 'FacilityAdmin', 'FacilityUser'];
export const LEG_READERS: readonly Role[] = ['Dispatcher', 'Driver', 'FacilityAdmin', 'FacilityUser'];
/** Vehicles are staff data, like staff users: facility roles never see them. */
export const STAFF: readonly Role[] = ['Dispatcher', 'Driver', 'Billing'];

/** Served by the API function, with a verified access token. */
export const api = { function: 'api', access: 'authenticated' } as const;
/** User management: its own function, the only one allowed to administer the user pool. */
export const users = { function: 'users', access: 'authenticated' } as const;
