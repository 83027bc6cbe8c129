import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense, useEffect, useMemo, useState } from 'react';
import { BrowserRouter, Link, Navigate, Route, Routes } from 'react-router';
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
      {sessionEnded && (
        <div className="banner" role="alert">
          Your session has ended.{' '}
          <button type="button" onClick={() => void auth.signIn()}>Sign in again</button>
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<LoadingState label="Loading the screen" />}>
          <Routes>
            <Route path="/" element={<Home role={me.data.role} />} />
            <Route path="/callback" element={<Navigate to="/" replace />} />
            <Route path="/board" element={<DispatcherOnly role={me.data.role}><Board /></DispatcherOnly>} />
            <Route path="/trips/:tripRequestId" element={<DispatcherOnly role={me.data.role}><TripDetail /></DispatcherOnly>} />
            <Route path="/standing-orders/new" element={<DispatcherOnly role={me.data.role}><NewSeries /></DispatcherOnly>} />
            <Route path="/standing-orders/:standingOrderId" element={<DispatcherOnly role={me.data.role}><SeriesDetail /></DispatcherOnly>} />
            <Route path="/billing" element={<BillingDesk />} />
            <Route path="/day" element={<MyDay />} />
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
  if (role === 'Dispatcher') return <Navigate to="/board" replace />;
  if (role === 'Billing') return <Navigate to="/billing" replace />;
  if (role === 'Driver') return <Navigate to="/day" replace />;
  return <ComingSoon role={role} />;
}

function DispatcherOnly({ role, children }: { role: Role; children: ReactNode }) {
  if (role !== 'Dispatcher') return <ComingSoon role={role} />;
  return <>{children}</>;
}

const MEANWHILE: Record<Exclude<Role, 'Dispatcher'>, string> = {
  Driver: "Your dispatcher can read you today's legs and record their status for you by phone.",
  Billing: 'The billing records and the CSV export stay available through the API (GET /v1/billing-records).',
  FacilityAdmin: 'Call the dispatch office to book, change or cancel rides; your riders and users stay as they are.',
  FacilityUser: 'Call the dispatch office to book, change or cancel a ride; anyone can also use the public request page.',
};

function ComingSoon({ role }: { role: Exclude<Role, 'Dispatcher'> | Role }) {
  const meanwhile = role === 'Dispatcher' ? '' : MEANWHILE[role];
  return (
    <section className="page narrow" aria-labelledby="coming-soon">
      <h1 id="coming-soon">Your screens are coming</h1>
      <p>
        You are signed in as <strong>{ROLE_NAMES[role]}</strong>. The screens for your role are being built
        and will appear here; nothing is wrong with your account.
      </p>
      <h2>Meanwhile</h2>
      <p>{meanwhile}</p>
      <p>
        <a href="/request">Request a ride on the public page</a>
      </p>
    </section>
  );
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
