import { useState } from 'preact/hooks';
import { ConfirmButton } from '../components/confirm-button';
import { LoadMore } from '../components/load-more';
import { api, errorText, withQuery } from '../lib/api';
import { useCanWrite } from '../lib/role';
import { formatTime } from '../lib/time';
import type { Page, User } from '../lib/types';
import { useLoad, useMorePages } from '../lib/use-load';

/** GET/POST /v1/users… (docs/api.md §8): who is on the team, invites by link, removal. */
export function TeamPage({ me }: { me: User }) {
  const fetchPage = (cursor?: string) => api.get<Page<User>>(withQuery('/v1/users', { limit: 50, cursor }));
  const users = useLoad(() => fetchPage(), []);
  const more = useMorePages(users, fetchPage);
  const canWrite = useCanWrite();
  return (
    <main class="page">
      <h1>Team</h1>
      {canWrite && (
        <section class="card" aria-labelledby="invite-title">
          <h2 id="invite-title">Invite someone</h2>
          <InviteForm />
        </section>
      )}
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        {users.error && (
          <p class="error" role="alert">
            {users.error}
          </p>
        )}
        {users.data && (
          <table class="table" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.data.map((user) => (
                <tr key={user.id} data-testid="user-row" data-email={user.email}>
                  <td data-label="Email">{user.email}</td>
                  <td data-label="Role">{user.role}</td>
                  <td data-label="Joined">{formatTime(user.created_at)}</td>
                  <td data-label="Remove">
                    {canWrite && user.role !== 'owner' && user.id !== me.id && (
                      <ConfirmButton
                        label="Remove"
                        ariaLabel={`Remove ${user.email}`}
                        confirmLabel="Confirm remove"
                        confirmAriaLabel={`Confirm remove ${user.email}`}
                        onConfirm={async () => {
                          await api.delete<null>(`/v1/users/${encodeURIComponent(user.id)}`);
                          void users.reload();
                        }}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <LoadMore
          label="More users"
          hasMore={Boolean(users.data?.next_cursor)}
          onLoad={more.loadMore}
          error={more.error}
        />
      </section>
    </main>
  );
}

interface InviteJson {
  invite_url: string;
  expires_at: string;
}

function InviteForm() {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'admin' | 'viewer'>('viewer');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [invite, setInvite] = useState<InviteJson | null>(null);
  const [copied, setCopied] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      setInvite(await api.post<InviteJson>('/v1/users/invites', { email: email.trim(), role }));
      setEmail('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  async function copy() {
    if (!invite) return;
    try {
      await navigator.clipboard.writeText(invite.invite_url);
      setCopied(true);
    } catch {
      // Clipboard refused (insecure origin): the link is selectable in the field.
    }
  }
  return (
    <>
      <form class="form-row" onSubmit={submit}>
        <div class="field">
          <label for="invite-email">Email</label>
          <input
            id="invite-email"
            type="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="invite-role">Role</label>
          <select
            id="invite-role"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as 'admin' | 'viewer')}
          >
            <option value="viewer">viewer — reads everything, changes nothing</option>
            <option value="admin">admin — manages everything</option>
          </select>
        </div>
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            Create invite link
          </button>
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {invite && (
        <div class="created-key" data-testid="invite-link">
          <p>
            No mail is sent: hand this link to the person. It works once, until{' '}
            {formatTime(invite.expires_at)}.
          </p>
          <label for="invite-url" class="visually-hidden">
            Invite link
          </label>
          <input id="invite-url" class="mono" readOnly value={invite.invite_url} />
          <button type="button" class="btn" onClick={copy}>
            {copied ? 'Copied' : 'Copy link'}
          </button>
        </div>
      )}
    </>
  );
}
