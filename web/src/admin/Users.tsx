import { useMutation } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { data } from '../api/client';
import type { User } from '../api/contract';
import { recordKeys, useFacilities, useFacility, useUsers } from '../api/records';
import { useAnnouncer } from '../components/Announcer';
import { ActionError, EmptyState, ErrorState, LoadingState } from '../components/States';
import { useConsole } from '../context';
import { ROLE_NAMES } from '../lib/words';
import { NewUser } from './NewUser';
import { useRefresh } from './queries';
import { RoleChange } from './RoleChange';
import { userStateText } from './words';

/**
 * Accounts: a Dispatcher administers everyone's, a FacilityAdmin its facility's (the API scopes
 * the list and refuses the rest). Disabling is confirmed; changing a role is the Dispatcher's alone.
 */
export default function Users() {
  const { me } = useConsole();
  const dispatcher = me.role === 'Dispatcher';
  const users = useUsers();
  const facilities = useFacilities({ enabled: dispatcher });
  const ownFacility = useFacility(me.facilityId, { enabled: !dispatcher });
  const { announce, region } = useAnnouncer();
  const [filter, setFilter] = useState('');
  const [changing, setChanging] = useState<User | null>(null);
  const filterId = useId();

  const facilityNames = useMemo(() => new Map((facilities.data ?? []).map((facility) => [facility.id, facility.name])), [facilities.data]);
  const facilityName = (facilityId: string | null): string => {
    if (!facilityId) return 'Provider staff';
    if (!dispatcher) return ownFacility.data?.name ?? 'Your facility';
    return facilityNames.get(facilityId) ?? 'A facility';
  };
  const wanted = filter.trim().toLowerCase();
  const shown = (users.data ?? []).filter((user) =>
    !wanted || user.displayName.toLowerCase().includes(wanted) || user.email.toLowerCase().includes(wanted));

  return (
    <section className="page admin" aria-labelledby="page-title">
      {region}
      <h1 id="page-title">Users</h1>
      {!dispatcher && <p className="hint">The people of {facilityName(me.facilityId)} who may use this console.</p>}
      <div className="admin-grid">
        <section className="pane" aria-labelledby="user-list-title">
          <h2 id="user-list-title">Accounts {users.data && <span className="count">{users.data.length}</span>}</h2>
          <div className="field">
            <label htmlFor={filterId}>Find by name or email</label>
            <input id={filterId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} autoComplete="off" />
          </div>
          {users.isPending && <LoadingState label="Loading the users" />}
          {users.isError && <ErrorState error={users.error} onRetry={() => void users.refetch()} />}
          {users.data && shown.length === 0 && <EmptyState>{wanted ? 'Nobody matches.' : 'No users yet.'}</EmptyState>}
          <ul className="admin-list">
            {shown.map((user) => (
              <li key={user.id}>
                <UserRow user={user} facilityName={facilityName(user.facilityId)} onReport={announce}
                  onChangeRole={dispatcher && user.id !== me.sub ? () => setChanging(user) : undefined} />
              </li>
            ))}
          </ul>
        </section>
        <section className="pane">
          <NewUser facilityName={facilityName(me.facilityId)} onCreated={announce} />
        </section>
      </div>
      {changing && (
        <RoleChange user={changing} facilityName={facilityName} onClose={(message) => {
          setChanging(null);
          if (message) announce(message);
        }} />
      )}
    </section>
  );
}

function UserRow({ user, facilityName, onReport, onChangeRole }: {
  user: User;
  facilityName: string;
  onReport: (message: string) => void;
  onChangeRole?: () => void;
}) {
  const { api, me } = useConsole();
  const refresh = useRefresh();
  const [confirming, setConfirming] = useState(false);
  const access = useMutation({
    mutationFn: (to: 'disable' | 'enable') =>
      data(to === 'disable'
        ? api.POST('/v1/users/{userId}/disable', { params: { path: { userId: user.id } }, body: {} })
        : api.POST('/v1/users/{userId}/enable', { params: { path: { userId: user.id } }, body: {} })),
    onSuccess: (saved) => {
      setConfirming(false);
      onReport(saved.active ? `${saved.displayName} may sign in again.` : `${saved.displayName} is disabled and signed out everywhere.`);
    },
    onSettled: () => refresh(recordKeys.users),
  });
  const self = user.id === me.sub;
  return (
    <article className="user" aria-label={user.displayName}>
      <div className="admin-row">
        <div>
          <h3 className="admin-row-title">
            {user.displayName}
            <span className={`status ${user.active ? 'status-active' : 'status-ended'}`}>{userStateText(user)}</span>
            {self && <span className="meta">(you)</span>}
          </h3>
          <p className="meta">{user.email} · {ROLE_NAMES[user.role]} · {facilityName}</p>
        </div>
        <div className="actions">
          {onChangeRole && <button type="button" onClick={onChangeRole}>Change role or facility</button>}
          {!self && user.active && !confirming && <button type="button" onClick={() => setConfirming(true)}>Disable…</button>}
          {!user.active && (
            <button type="button" disabled={access.isPending} onClick={() => access.mutate('enable')}>Enable</button>
          )}
        </div>
      </div>
      {confirming && (
        <div className="confirm">
          <p>
            Disable {user.displayName}? They are signed out everywhere at once and cannot sign in. Enabling them again is
            possible only an hour later, when their older sessions have run out.
          </p>
          <button type="button" className="danger" disabled={access.isPending} onClick={() => access.mutate('disable')}>
            Yes, disable
          </button>
          <button type="button" onClick={() => setConfirming(false)}>Keep them active</button>
        </div>
      )}
      <ActionError error={access.error} />
    </article>
  );
}
