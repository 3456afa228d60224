import { useEffect, useState } from 'preact/hooks';
import { LiveIndicator } from './components/live-indicator';
import { ApiError, api, setCsrfToken, setUnauthenticatedHandler } from './lib/api';
import { setStreamRefusedHandler, startLive, stopLive } from './lib/live';
import { href, navigate, type Route, useRoute } from './lib/router';
import type { Session } from './lib/types';
import { AgentDetailPage } from './pages/agent-detail';
import { AgentsPage } from './pages/agents';
import { ApiKeysPage } from './pages/api-keys';
import { AuditLogPage } from './pages/audit-log';
import { AuthPage } from './pages/auth';
import { SettingsPage } from './pages/settings';

type SessionState = { kind: 'loading' } | { kind: 'anonymous' } | { kind: 'signed-in'; session: Session };

const NAV: { route: Route; label: string }[] = [
  { route: { page: 'agents' }, label: 'Agents' },
  { route: { page: 'keys' }, label: 'API keys' },
  { route: { page: 'settings' }, label: 'Settings' },
  { route: { page: 'audit' }, label: 'Audit log' },
];

export function App() {
  const route = useRoute();
  const [state, setState] = useState<SessionState>({ kind: 'loading' });

  function signIn(session: Session) {
    setCsrfToken(session.csrf_token);
    setState({ kind: 'signed-in', session });
    startLive();
    if (route.page === 'login' || route.page === 'signup') navigate({ page: 'agents' });
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
  if (state.kind === 'anonymous') {
    return <AuthPage mode={route.page === 'signup' ? 'signup' : 'login'} onSession={signIn} />;
  }

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
          <span class="muted small user-email">{state.session.user.email}</span>
          <button type="button" class="btn btn-small" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <div id="content" tabIndex={-1}>
        <Page route={route} />
      </div>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'agent':
      return <AgentDetailPage name={route.name} />;
    case 'keys':
      return <ApiKeysPage />;
    case 'settings':
      return <SettingsPage />;
    case 'audit':
      return <AuditLogPage />;
    default:
      return <AgentsPage />;
  }
}
