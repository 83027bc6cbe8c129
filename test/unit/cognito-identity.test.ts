import {
  AdminAddUserToGroupCommand, AdminCreateUserCommand, AdminDeleteUserAttributesCommand, AdminDeleteUserCommand, AdminDisableUserCommand,
  AdminEnableUserCommand, AdminGetUserCommand, AdminRemoveUserFromGroupCommand, AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand, CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { createCognitoIdentityAdmin } from '../../lambdas/shared/identity/cognito';

/** The Cognito identity adapter, faked at the SDK client boundary (SECURITY S1, S9). */
const POOL = 'eu-west-1_TestPool';
const SUB = '6f1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5b';
const FACILITY = '0b8f6a52-3c1d-4e2f-9a7b-5c6d7e8f9a0b';
const CONTACT = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

const cognito = mockClient(CognitoIdentityProviderClient);
const admin = () => createCognitoIdentityAdmin(new CognitoIdentityProviderClient({ region: 'eu-west-1' }), POOL);

beforeEach(() => {
  cognito.reset();
  cognito.on(AdminCreateUserCommand).resolves({ User: { Username: SUB, Attributes: [{ Name: 'sub', Value: SUB }] } });
});

describe('createUser', () => {
  test('creates the user with its tenant attributes and puts it in exactly one group', async () => {
    const result = await admin().createUser({ email: 'nurse@clinic.test', role: 'FacilityUser', facilityId: FACILITY, contactId: CONTACT });
    expect(result).toEqual({ sub: SUB });

    const creates = cognito.commandCalls(AdminCreateUserCommand);
    expect(creates).toHaveLength(1);
    const input = creates[0]?.args[0].input;
    expect(input).toMatchObject({ UserPoolId: POOL, Username: 'nurse@clinic.test', DesiredDeliveryMediums: ['EMAIL'] });
    expect(input?.UserAttributes).toEqual(expect.arrayContaining([
      { Name: 'email', Value: 'nurse@clinic.test' },
      { Name: 'email_verified', Value: 'true' },
      { Name: 'custom:facility_id', Value: FACILITY },
      { Name: 'custom:contact_id', Value: CONTACT },
    ]));

    const groups = cognito.commandCalls(AdminAddUserToGroupCommand);
    expect(groups.map((call) => call.args[0].input)).toEqual([{ UserPoolId: POOL, Username: SUB, GroupName: 'FacilityUser' }]);
    expect(cognito.commandCalls(AdminDeleteUserCommand)).toHaveLength(0);
  });

  test('a staff user carries no tenant attributes', async () => {
    await admin().createUser({ email: 'dispatch@provider.test', role: 'Dispatcher' });
    const attributes = cognito.commandCalls(AdminCreateUserCommand)[0]?.args[0].input.UserAttributes ?? [];
    expect(attributes.map((attribute) => attribute.Name).sort()).toEqual(['email', 'email_verified']);
    expect(cognito.commandCalls(AdminAddUserToGroupCommand).map((call) => call.args[0].input.GroupName)).toEqual(['Dispatcher']);
  });

  test('reads the sub back when the create answer omits it', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: SUB, Attributes: [] } });
    cognito.on(AdminGetUserCommand).resolves({ Username: SUB, UserAttributes: [{ Name: 'sub', Value: SUB }] });
    expect(await admin().createUser({ email: 'billing@provider.test', role: 'Billing' })).toEqual({ sub: SUB });
    expect(cognito.commandCalls(AdminGetUserCommand)[0]?.args[0].input).toEqual({ UserPoolId: POOL, Username: 'billing@provider.test' });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)[0]?.args[0].input.Username).toBe(SUB);
  });

  test('an existing address surfaces as UsernameExistsException and nothing else is sent', async () => {
    cognito.on(AdminCreateUserCommand).rejects(Object.assign(new Error('exists'), { name: 'UsernameExistsException' }));
    await expect(admin().createUser({ email: 'taken@clinic.test', role: 'FacilityAdmin', facilityId: FACILITY }))
      .rejects.toMatchObject({ name: 'UsernameExistsException' });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
  });

  test('when the group cannot be set, the new user is deleted again so no groupless identity remains', async () => {
    cognito.on(AdminAddUserToGroupCommand).rejects(Object.assign(new Error('throttled'), { name: 'TooManyRequestsException' }));
    await expect(admin().createUser({ email: 'nurse@clinic.test', role: 'FacilityUser', facilityId: FACILITY }))
      .rejects.toMatchObject({ name: 'TooManyRequestsException' });
    expect(cognito.commandCalls(AdminDeleteUserCommand).map((call) => call.args[0].input)).toEqual([{ UserPoolId: POOL, Username: SUB }]);
  });
});

describe('disableUser (S9: disable = immediate global sign-out)', () => {
  test('disables the user and signs it out of every session', async () => {
    await admin().disableUser(SUB);
    expect(cognito.commandCalls(AdminDisableUserCommand).map((call) => call.args[0].input)).toEqual([{ UserPoolId: POOL, Username: SUB }]);
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand).map((call) => call.args[0].input))
      .toEqual([{ UserPoolId: POOL, Username: SUB }]);
    const order = cognito.calls().map((call) => (call.args[0] as object).constructor.name);
    expect(order).toEqual(['AdminUserGlobalSignOutCommand', 'AdminDisableUserCommand']);
  });

  test('a refused disable fails the call (so the API rolls its own disable back)', async () => {
    cognito.on(AdminDisableUserCommand).rejects(Object.assign(new Error('nope'), { name: 'InternalErrorException' }));
    await expect(admin().disableUser(SUB)).rejects.toMatchObject({ name: 'InternalErrorException' });
  });

  test('a refused global sign-out fails the call too', async () => {
    cognito.on(AdminUserGlobalSignOutCommand).rejects(Object.assign(new Error('nope'), { name: 'TooManyRequestsException' }));
    await expect(admin().disableUser(SUB)).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  });
});

test('enableUser enables the user by sub (its sessions stay revoked: a new sign-in is needed)', async () => {
  await admin().enableUser(SUB);
  expect(cognito.commandCalls(AdminEnableUserCommand).map((call) => call.args[0].input)).toEqual([{ UserPoolId: POOL, Username: SUB }]);
  expect(cognito.calls()).toHaveLength(1);
});

test('deleteUser removes the user by sub', async () => {
  await admin().deleteUser(SUB);
  expect(cognito.commandCalls(AdminDeleteUserCommand).map((call) => call.args[0].input)).toEqual([{ UserPoolId: POOL, Username: SUB }]);
});

describe('changeAssignment (SECURITY S30)', () => {
  const OTHER_FACILITY = '2d3e4f5a-6b7c-4d8e-9fa0-1b2c3d4e5f6a';
  const commandOrder = () => cognito.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);

  test('a facility user promoted to staff leaves its group for the new one, and loses both tenant attributes', async () => {
    await admin().changeAssignment(SUB, {
      from: { role: 'FacilityUser', facilityId: FACILITY, contactId: CONTACT }, to: { role: 'Billing' },
    });
    // Out of the old group first: a failure part-way leaves the user in no group, never in two.
    expect(commandOrder()).toEqual(['AdminRemoveUserFromGroupCommand', 'AdminAddUserToGroupCommand', 'AdminDeleteUserAttributesCommand']);
    expect(cognito.commandCalls(AdminRemoveUserFromGroupCommand)[0]?.args[0].input)
      .toEqual({ UserPoolId: POOL, Username: SUB, GroupName: 'FacilityUser' });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)[0]?.args[0].input).toEqual({ UserPoolId: POOL, Username: SUB, GroupName: 'Billing' });
    expect(cognito.commandCalls(AdminDeleteUserAttributesCommand)[0]?.args[0].input).toEqual({
      UserPoolId: POOL, Username: SUB, UserAttributeNames: ['custom:facility_id', 'custom:contact_id'],
    });
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)).toHaveLength(0);
  });

  test('a move to another facility in the same role rewrites the facility, drops the old contact, and keeps the group', async () => {
    await admin().changeAssignment(SUB, {
      from: { role: 'FacilityUser', facilityId: FACILITY, contactId: CONTACT }, to: { role: 'FacilityUser', facilityId: OTHER_FACILITY },
    });
    expect(commandOrder()).toEqual(['AdminUpdateUserAttributesCommand', 'AdminDeleteUserAttributesCommand']);
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)[0]?.args[0].input).toEqual({
      UserPoolId: POOL, Username: SUB, UserAttributes: [{ Name: 'custom:facility_id', Value: OTHER_FACILITY }],
    });
    expect(cognito.commandCalls(AdminDeleteUserAttributesCommand)[0]?.args[0].input?.UserAttributeNames).toEqual(['custom:contact_id']);
  });

  test('a staff user given a facility role gets its group and both attributes, and deletes nothing', async () => {
    await admin().changeAssignment(SUB, { from: { role: 'Driver' }, to: { role: 'FacilityUser', facilityId: FACILITY, contactId: CONTACT } });
    expect(commandOrder()).toEqual(['AdminRemoveUserFromGroupCommand', 'AdminAddUserToGroupCommand', 'AdminUpdateUserAttributesCommand']);
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)[0]?.args[0].input?.UserAttributes).toEqual([
      { Name: 'custom:facility_id', Value: FACILITY }, { Name: 'custom:contact_id', Value: CONTACT },
    ]);
  });

  test('a refusal from Cognito reaches the caller (which rolls the database change back) and stops the move there', async () => {
    cognito.on(AdminRemoveUserFromGroupCommand).rejects(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' }));
    await expect(admin().changeAssignment(SUB, { from: { role: 'Driver' }, to: { role: 'Dispatcher' } }))
      .rejects.toMatchObject({ name: 'TooManyRequestsException' });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
  });
});
