import { useEffect, useState } from 'preact/hooks';
import { LiveIndicator } from './components/live-indicator';
import { ApiError, api, setCsrfToken, setUnauthenticatedHandler } from './lib/api';
import { setStreamRefusedHandler, startLive, stopLive } from './lib/live';
import { RoleContext } from './lib/role';
import { href, navigate, type Route, useRoute } from './lib/router';
import type { Session } from './lib/types';
import { AgentDetailPage } from './pages/agent-detail';
import { AgentsPage } from './pages/agents';
import { ApiKeysPage } from './pages/api-keys';
import { AuditLogPage } from './pages/audit-log';
import { AuthPage } from './pages/auth';
import { ProvidersPage } from './pages/providers';
import { SettingsPage } from './pages/settings';
import { TeamPage } from './pages/team';
import { WebhooksPage } from './pages/webhooks';

type SessionState = { kind: 'loading' } | { kind: 'anonymous' } | { kind: 'signed-in'; session: Session };

const NAV: { route: Route; label: string }[] = [
  { route: { page: 'agents' }, label: 'Agents' },
  { route: { page: 'keys' }, label: 'API keys' },
  { route: { page: 'settings' }, label: 'Settings' },
  { route: { page: 'providers' }, label: 'Providers' },
  { route: { page: 'team' }, label: 'Team' },
  { route: { page: 'webhooks' }, label: 'Webhooks' },
  { route: { page: 'audit' }, label: 'Audit log' },
];

export function App() {
  const route = useRoute();
  const [state, setState] = useState<SessionState>({ kind: 'loading' });

  function signIn(session: Session) {
    setCsrfToken(session.csrf_token);
    setState({ kind: 'signed-in', session });
    // A new session (an invite accepted in a browser that was logged in) must not keep the old one's stream.
    stopLive();
    startLive();
    if (route.page === 'login' || route.page === 'signup' || route.page === 'accept-invite')
      navigate({ page: 'agents' });
  }

  function signOut() {
    setCsrfToken(null);
    stopLive();
    setState({ kind: 'anonymous' });
  }

  useEffect(() => {
    setUnauthenticatedHandler(signOut);
    // A refused stream may mean the session ended: ask once, and go to the login page if so.
    setStreamRefusedHandler(() => {
      api.get<Session>('/v1/auth/me').catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) signOut();
      });
    });
    api
      .get<Session>('/v1/auth/me')
      .then(signIn)
      .catch(() => setState({ kind: 'anonymous' }));
    return () => {
      setUnauthenticatedHandler(null);
      setStreamRefusedHandler(null);
    };
  }, []);

  async function logout() {
    try {
      await api.post<void>('/v1/auth/logout');
    } finally {
      signOut();
      navigate({ page: 'login' });
    }
  }

  if (state.kind === 'loading') return <p class="page muted">Loading…</p>;
  // An invite link opens its page even in a browser where someone is logged in: joining starts the new session.
  if (state.kind === 'anonymous' || route.page === 'accept-invite') {
    const mode =
      route.page === 'accept-invite'
        ? { kind: 'accept-invite' as const, token: route.token }
        : { kind: route.page === 'signup' ? ('signup' as const) : ('login' as const) };
    return <AuthPage mode={mode} onSession={signIn} />;
  }
  const role = state.session.user.role;

  const current = route.page === 'agent' ? 'agents' : route.page;
  return (
    <>
      {/* A button, not href="#content": the hash is the router's, a fragment link would change page. */}
      <button type="button" class="skip-link btn" onClick={() => document.getElementById('content')?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <a class="brand" href={href({ page: 'agents' })}>
          Spendguard
        </a>
        <nav aria-label="Main">
          <ul class="nav">
            {NAV.map((item) => (
              <li key={item.route.page}>
                <a href={href(item.route)} aria-current={current === item.route.page ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="topbar-right">
          <LiveIndicator />
          {role === 'viewer' && (
            <span
              class="badge badge-auto"
              data-testid="read-only"
              title="A viewer reads everything, changes nothing"
            >
              read-only
            </span>
          )}
          <span class="muted small user-email">{state.session.user.email}</span>
          <button type="button" class="btn btn-small" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <div id="content" tabIndex={-1}>
        <RoleContext.Provider value={role}>
          <Page route={route} session={state.session} />
        </RoleContext.Provider>
      </div>
    </>
  );
}

function Page({ route, session }: { route: Route; session: Session }) {
  switch (route.page) {
    case 'team':
      return <TeamPage me={session.user} />;
    case 'agent':
      return <AgentDetailPage name={route.name} />;
    case 'keys':
      return <ApiKeysPage />;
    case 'settings':
      return <SettingsPage />;
    case 'providers':
      return <ProvidersPage />;
    case 'audit':
      return <AuditLogPage />;
    case 'webhooks':
      return <WebhooksPage />;
    default:
      return <AgentsPage />;
  }
}
