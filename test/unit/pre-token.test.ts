import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { handler, tenantClaims } from '../../lambdas/pre-token/handler';

const FACILITY = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const CONTACT = '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d';

function tokenEvent(options: {
  groups?: string[];
  attributes?: Record<string, string>;
  trigger?: PreTokenGenerationV2TriggerEvent['triggerSource'];
} = {}): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    triggerSource: options.trigger ?? 'TokenGeneration_HostedAuth',
    region: 'us-east-1',
    userPoolId: 'us-east-1_Example',
    userName: 'user-1',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'client-1' },
    request: {
      userAttributes: { sub: '11111111-2222-4333-8444-555555555555', email: 'someone@example.org', ...options.attributes },
      groupConfiguration: { groupsToOverride: options.groups ?? [], iamRolesToOverride: [], preferredRole: undefined },
      scopes: ['openid', 'nemt-api/api'],
    },
    response: { claimsAndScopeOverrideDetails: {} },
  } as PreTokenGenerationV2TriggerEvent;
}

const facilityUser = (attributes: Record<string, string>, groups = ['FacilityUser']) => tokenEvent({ groups, attributes });

describe('pre-token generation (V2)', () => {
  test('a facility user gets facility_id and contact_id in the access token', async () => {
    const result = await handler(facilityUser({ 'custom:facility_id': FACILITY, 'custom:contact_id': CONTACT }));
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: { claimsToAddOrOverride: { facility_id: FACILITY, contact_id: CONTACT } },
    });
  });

  test('a facility admin without a contact gets only facility_id', async () => {
    const result = await handler(facilityUser({ 'custom:facility_id': FACILITY }, ['FacilityAdmin']));
    expect(result.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.claimsToAddOrOverride).toEqual({ facility_id: FACILITY });
  });

  test('values are normalised to lower case; non-UUID values are not copied', () => {
    expect(tenantClaims(facilityUser({ 'custom:facility_id': FACILITY.toUpperCase(), 'custom:contact_id': 'not-a-uuid' })))
      .toEqual({ facility_id: FACILITY });
    expect(tenantClaims(facilityUser({ 'custom:facility_id': `${FACILITY}' OR 1=1` }))).toEqual({});
  });

  test.each(['Dispatcher', 'Driver', 'Billing'])('a %s (staff) gets nothing added, even with tenant attributes', async (group) => {
    const event = facilityUser({ 'custom:facility_id': FACILITY, 'custom:contact_id': CONTACT }, [group]);
    const result = await handler(event);
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({});
  });

  test('a user in a staff group and a facility group is treated as staff (the API refuses two groups anyway)', () => {
    expect(tenantClaims(facilityUser({ 'custom:facility_id': FACILITY }, ['FacilityUser', 'Dispatcher']))).toEqual({});
  });

  test('nothing is added when the user has no tenant attribute', async () => {
    const result = await handler(facilityUser({}));
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({});
  });

  test('the ID token is left alone and existing overrides are kept', async () => {
    const event = facilityUser({ 'custom:facility_id': FACILITY });
    event.response.claimsAndScopeOverrideDetails = {
      accessTokenGeneration: { claimsToSuppress: ['email'] },
      groupOverrideDetails: { groupsToOverride: ['FacilityUser'] },
    };
    const result = await handler(event);
    expect(result.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: { claimsToSuppress: ['email'], claimsToAddOrOverride: { facility_id: FACILITY } },
      groupOverrideDetails: { groupsToOverride: ['FacilityUser'] },
    });
    expect(result.response.claimsAndScopeOverrideDetails.idTokenGeneration).toBeUndefined();
  });

  test.each(['TokenGeneration_Authentication', 'TokenGeneration_RefreshTokens'] as const)(
    'the claims are added on %s too, so a refreshed token keeps its tenant', async (trigger) => {
      const result = await handler(tokenEvent({ trigger, groups: ['FacilityUser'], attributes: { 'custom:facility_id': FACILITY } }));
      expect(result.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.claimsToAddOrOverride).toEqual({ facility_id: FACILITY });
    });
});
