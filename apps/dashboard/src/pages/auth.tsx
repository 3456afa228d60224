import { useState } from 'preact/hooks';
import { api, errorText } from '../lib/api';
import { href } from '../lib/router';
import type { Session } from '../lib/types';

interface Props {
  mode: 'login' | 'signup';
  onSession: (session: Session) => void;
}

/** Login and signup share one form; signup adds the company name. */
export function AuthPage({ mode, onSession }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [company, setCompany] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const signup = mode === 'signup';

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = signup
        ? await api.post<Session>('/v1/auth/signup', { email, password, company })
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
        <h2 id="auth-title">{signup ? 'Create your account' : 'Log in'}</h2>
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
        <div class="field">
          <label for="auth-password">Password</label>
          <input
            id="auth-password"
            type="password"
            autoComplete={signup ? 'new-password' : 'current-password'}
            required
            minLength={signup ? 12 : undefined}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {signup && <small class="muted">At least 12 characters.</small>}
        </div>
        {signup && (
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
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Please wait…' : signup ? 'Sign up' : 'Log in'}
        </button>
        <p class="muted center">
          {signup ? (
            <>
              Have an account? <a href={href({ page: 'login' })}>Log in</a>
            </>
          ) : (
            <>
              New here? <a href={href({ page: 'signup' })}>Create an account</a>
            </>
          )}
        </p>
      </form>
    </main>
  );
}
