import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { BrowserRouter, Link, Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { createApi, data } from './api/client';
import type { Role } from './api/contract';
import { ApiProblem } from './api/problem';
import type { Auth, StartResult } from './auth';
import { Console, type ConsoleContext, useConsole } from './context';
import { ErrorState, LoadingState } from './components/States';
import { ROLE_NAMES } from './lib/words';

const Board = lazy(() => import('./board/Board'));
const TripDetail = lazy(() => import('./trip/TripDetail'));
const NewSeries = lazy(() => import('./standing-orders/NewSeries'));
const SeriesDetail = lazy(() => import('./standing-orders/SeriesDetail'));
const BillingDesk = lazy(() => import('./billing/BillingDesk'));
const MyDay = lazy(() => import('./driver/MyDay'));
const OurTrips = lazy(() => import('./facility/OurTrips'));
const RequestTrip = lazy(() => import('./facility/RequestTrip'));
const FacilityTrip = lazy(() => import('./facility/FacilityTrip'));
const Riders = lazy(() => import('./facility/Riders'));
const RiderPage = lazy(() => import('./facility/RiderPage'));
const SeriesList = lazy(() => import('./standing-orders/SeriesList'));
const Facilities = lazy(() => import('./admin/Facilities'));
const FacilityPage = lazy(() => import('./admin/FacilityPage'));
const Vehicles = lazy(() => import('./admin/Vehicles'));
const Users = lazy(() => import('./admin/Users'));
const Contacts = lazy(() => import('./admin/Contacts'));
const AuditVerification = lazy(() => import('./admin/AuditVerification'));

const FACILITY: readonly Role[] = ['FacilityAdmin', 'FacilityUser'];
const TRIP_WRITERS: readonly Role[] = ['Dispatcher', ...FACILITY];

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: true,
      retry: (failures, error) => !(error instanceof ApiProblem && error.status > 0 && error.status < 500) && failures < 2,
    },
  },
});

export function App({ auth, start }: { auth: Auth; start: Exclude<StartResult, { kind: 'redirecting' }> }) {
  if (start.kind === 'signed-out') {
    return (
      <Centered title="You have signed out">
        <p>Your session on this computer has ended.</p>
        <button type="button" className="primary" onClick={() => void auth.signIn('/')}>Sign in</button>
      </Centered>
    );
  }
  if (start.kind === 'callback-failed') {
    return (
      <Centered title="Sign-in did not complete">
        <p>{start.message}</p>
        <button type="button" className="primary" onClick={() => void auth.signIn('/')}>Sign in again</button>
      </Centered>
    );
  }
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SignedIn auth={auth} />
      </BrowserRouter>
    </QueryClientProvider>
  );
}

function SignedIn({ auth }: { auth: Auth }) {
  const [refused, setRefused] = useState(false);
  const api = useMemo(() => createApi(() => auth.accessToken(), () => setRefused(true)), [auth]);
  const me = useQuery({ queryKey: ['me'], queryFn: () => data(api.GET('/v1/me')), staleTime: Number.POSITIVE_INFINITY });
  const sessionEnded = useSessionEnded(auth) || refused;

  if (me.isPending) return <LoadingState label="Loading your account" />;
  if (me.isError) {
    return (
      <Centered title="Your account could not be loaded">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} />
        <button type="button" onClick={() => void auth.signIn('/')}>Sign in again</button>
      </Centered>
    );
  }
  const role = me.data.role;
  const context: ConsoleContext = {
    api,
    auth,
    me: me.data,
    timeZone: me.data.provider?.timeZone ?? auth.config.timeZone,
    providerName: me.data.provider?.name ?? auth.config.providerName,
  };
  return (
    <Console.Provider value={context}>
      <a className="skip-link" href="#main">Skip to content</a>
      <Header />
      <Navigation role={role} />
      {sessionEnded && (
        <div className="banner" role="alert">
          Your session has ended.{' '}
          <button type="button" onClick={() => void auth.signIn()}>Sign in again</button>
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<LoadingState label="Loading the screen" />}>
          <Routes>
            <Route path="/" element={<Home role={role} />} />
            <Route path="/callback" element={<Navigate to="/" replace />} />
            <Route path="/board" element={<Only roles={['Dispatcher']}><Board /></Only>} />
            <Route path="/trips" element={<Only roles={FACILITY}><OurTrips /></Only>} />
            <Route path="/trips/new" element={<Only roles={FACILITY}><RequestTrip /></Only>} />
            <Route path="/trips/:tripRequestId" element={role === 'Dispatcher' ? <TripDetail /> : <Only roles={FACILITY}><FacilityTrip /></Only>} />
            <Route path="/riders" element={<Only roles={TRIP_WRITERS}><Riders /></Only>} />
            <Route path="/riders/new" element={<Only roles={TRIP_WRITERS}><RiderPage /></Only>} />
            <Route path="/riders/:riderId" element={<Only roles={TRIP_WRITERS}><RiderPage /></Only>} />
            <Route path="/standing-orders" element={<Only roles={FACILITY}><SeriesList /></Only>} />
            <Route path="/standing-orders/new" element={<Only roles={TRIP_WRITERS}><NewSeries /></Only>} />
            <Route path="/standing-orders/:standingOrderId" element={<Only roles={TRIP_WRITERS}><SeriesDetail /></Only>} />
            <Route path="/billing" element={<Only roles={['Billing']}><BillingDesk /></Only>} />
            <Route path="/day" element={<Only roles={['Driver']}><MyDay /></Only>} />
            <Route path="/admin" element={<Navigate to={role === 'Dispatcher' ? '/admin/facilities' : '/admin/users'} replace />} />
            <Route path="/admin/facilities" element={<Only roles={['Dispatcher']}><Facilities /></Only>} />
            <Route path="/admin/facilities/:facilityId" element={<Only roles={['Dispatcher']}><FacilityPage /></Only>} />
            <Route path="/admin/vehicles" element={<Only roles={['Dispatcher']}><Vehicles /></Only>} />
            <Route path="/admin/users" element={<Only roles={['Dispatcher', 'FacilityAdmin']}><Users /></Only>} />
            <Route path="/admin/contacts" element={<Only roles={['FacilityAdmin']}><Contacts /></Only>} />
            <Route path="/admin/audit" element={<Only roles={['Dispatcher']}><AuditVerification /></Only>} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </main>
    </Console.Provider>
  );
}

/** The renewal failed or the tokens ran out: say so instead of letting calls fail one by one. */
function useSessionEnded(auth: Auth): boolean {
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    const events = auth.manager.events;
    const end = () => setEnded(true);
    const renewed = () => setEnded(false);
    events.addSilentRenewError(end);
    events.addAccessTokenExpired(end);
    events.addUserLoaded(renewed);
    return () => {
      events.removeSilentRenewError(end);
      events.removeAccessTokenExpired(end);
      events.removeUserLoaded(renewed);
    };
  }, [auth]);
  return ended;
}

function Header() {
  const { auth, me, providerName } = useConsole();
  const [user, setUser] = useState<string>('');
  useEffect(() => {
    void auth.manager.getUser().then((signedIn) => {
      const profile = signedIn?.profile;
      setUser(String(profile?.name ?? profile?.email ?? profile?.['cognito:username'] ?? 'Signed in'));
    });
  }, [auth]);
  return (
    <header className="app-header">
      <div className="brand">
        <Link to="/">{providerName}</Link>
        <span className="product">Dispatch console</span>
      </div>
      <div className="who">
        <span className="user">{user}</span>
        <span className="role">{ROLE_NAMES[me.role]}</span>
        <button type="button" onClick={() => void auth.signOut()}>Sign out</button>
      </div>
    </header>
  );
}

function Home({ role }: { role: Role }) {
  return <Navigate to={HOME[role]} replace />;
}

const HOME: Record<Role, string> = {
  Dispatcher: '/board',
  Driver: '/day',
  Billing: '/billing',
  FacilityAdmin: '/trips',
  FacilityUser: '/trips',
};

/** A facility's people's screens; its admins have theirs besides. */
const FACILITY_SCREENS: readonly { to: string; label: string }[] = [
  { to: '/trips', label: 'Our trips' },
  { to: '/trips/new', label: 'Request a trip' },
  { to: '/riders', label: 'Riders' },
  { to: '/standing-orders', label: 'Standing orders' },
];

/** Each role's screens, in the order of its day. */
const NAVIGATION: Record<Role, readonly { to: string; label: string }[]> = {
  Dispatcher: [
    { to: '/board', label: 'Board' },
    { to: '/riders', label: 'Riders' },
    { to: '/admin/facilities', label: 'Facilities' },
    { to: '/admin/vehicles', label: 'Vehicles' },
    { to: '/admin/users', label: 'Users' },
    { to: '/admin/audit', label: 'Audit' },
  ],
  Driver: [{ to: '/day', label: 'My day' }],
  Billing: [{ to: '/billing', label: 'Billing desk' }],
  FacilityAdmin: [
    ...FACILITY_SCREENS,
    { to: '/admin/users', label: 'Users' },
    { to: '/admin/contacts', label: 'Contacts' },
  ],
  FacilityUser: FACILITY_SCREENS,
};

function Navigation({ role }: { role: Role }) {
  const items = NAVIGATION[role];
  const bar = useRef<HTMLElement>(null);
  const { pathname } = useLocation();
  // On a phone the bar scrolls sideways: keep the current screen's name in view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the screen changes
  useEffect(() => {
    const reveal = () => bar.current?.querySelector('[aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    reveal();
    // A phone turned upright narrows the bar again.
    addEventListener('resize', reveal);
    return () => removeEventListener('resize', reveal);
  }, [pathname]);
  if (items.length < 2) return null;
  return (
    <nav className="app-nav" aria-label="Screens" ref={bar}>
      <ul>
        {items.map((item) => (
          <li key={item.to}>
            <NavLink to={item.to} end>{item.label}</NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The API refuses other roles anyway; this says so in words instead of showing a page of refusals. */
function Only({ roles, children }: { roles: readonly Role[]; children: ReactNode }) {
  const { me } = useConsole();
  if (!roles.includes(me.role)) {
    return (
      <section className="page narrow" aria-labelledby="not-yours">
        <h1 id="not-yours">This page is not part of your work</h1>
        <p>
          You are signed in as <strong>{ROLE_NAMES[me.role]}</strong>, and this screen belongs to another role.{' '}
          <Link to="/">Go to your start page</Link>.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}

function NotFound() {
  return (
    <section className="page narrow" aria-labelledby="not-found">
      <h1 id="not-found">Page not found</h1>
      <p>There is nothing at this address. <Link to="/">Go to the start page</Link>.</p>
    </section>
  );
}

function Centered({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="page narrow centered" id="main">
      <h1>{title}</h1>
      {children}
    </main>
  );
}

export function StartupProblem({ title, reason }: { title: string; reason: string }) {
  return (
    <Centered title={title}>
      <p>{reason}</p>
      <p>Reload the page in a moment. If it keeps happening, tell the person who runs this console.</p>
    </Centered>
  );
}
