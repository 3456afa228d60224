import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../lib/api';
import { href, navigate } from '../lib/router';
import type { Session } from '../lib/types';

type Mode = { kind: 'login' } | { kind: 'signup' } | { kind: 'accept-invite'; token: string };

interface Props {
  mode: Mode;
  onSession: (session: Session) => void;
}

/** GET /v1/auth/signup: whether a signup would be accepted, and whether the instance has no user yet. */
interface SignupStatus {
  open: boolean;
  empty: boolean;
}

const TITLES = { login: 'Log in', signup: 'Create your account', 'accept-invite': 'Join your team' } as const;
const BUTTONS = { login: 'Log in', signup: 'Sign up', 'accept-invite': 'Join' } as const;

/**
 * Login, signup and accepting an invite share one form: signup adds the company, an invite asks only for a password
 * (the email is the invite's). An empty instance opens on Sign up; with sign-up closed, the link to it is gone.
 */
export function AuthPage({ mode, onSession }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [company, setCompany] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<SignupStatus | null>(null);
  useEffect(() => {
    api
      .get<SignupStatus>('/v1/auth/signup')
      .then(setStatus)
      .catch(() => setStatus(null));
  }, []);
  useEffect(() => {
    // The first visitor of a new instance has nobody to log in as: start them on Sign up.
    if (status?.empty && mode.kind === 'login') navigate({ page: 'signup' });
  }, [status, mode.kind]);

  const kind = mode.kind;
  const newPassword = kind !== 'login';
  const closed = kind === 'signup' && status !== null && !status.open;

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session =
        mode.kind === 'signup'
          ? await api.post<Session>('/v1/auth/signup', { email, password, company })
          : mode.kind === 'accept-invite'
            ? await api.post<Session>('/v1/auth/accept-invite', { token: mode.token, password })
            : await api.post<Session>('/v1/auth/login', { email, password });
      onSession(session);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <h1 class="brand">Spendguard</h1>
      <form class="card auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <h2 id="auth-title">{TITLES[kind]}</h2>
        {kind === 'signup' && status?.empty && (
          <p class="muted" data-testid="first-user">
            This server has no account yet: the first one becomes its owner.
          </p>
        )}
        {closed && (
          <p class="notice" data-testid="signup-closed">
            Sign-up is closed on this server. Ask an admin of your team for an invite link.
          </p>
        )}
        {kind === 'accept-invite' && (
          <p class="muted">Choose a password to join the team that invited you.</p>
        )}
        {kind !== 'accept-invite' && (
          <div class="field">
            <label for="auth-email">Email</label>
            <input
              id="auth-email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </div>
        )}
        <div class="field">
          <label for="auth-password">Password</label>
          <input
            id="auth-password"
            type="password"
            autoComplete={newPassword ? 'new-password' : 'current-password'}
            required
            minLength={newPassword ? 12 : undefined}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {newPassword && (
            <small class="muted">At least 12 characters, not a common password or a repetition.</small>
          )}
        </div>
        {kind === 'signup' && (
          <div class="field">
            <label for="auth-company">Company</label>
            <input
              id="auth-company"
              autoComplete="organization"
              required
              value={company}
              onInput={(e) => setCompany(e.currentTarget.value)}
            />
          </div>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || closed}>
          {busy ? 'Please wait…' : BUTTONS[kind]}
        </button>
        <p class="muted center">
          {kind === 'login' ? (
            status?.open !== false && (
              <>
                New here? <a href={href({ page: 'signup' })}>Create an account</a>
              </>
            )
          ) : (
            <>
              Have an account? <a href={href({ page: 'login' })}>Log in</a>
            </>
          )}
        </p>
      </form>
    </main>
  );
}
