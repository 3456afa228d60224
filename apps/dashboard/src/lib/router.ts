import { useEffect, useState } from 'preact/hooks';

// Hash routing: the server only has to serve index.html at "/", and a reload keeps the page.

export type Route =
  | { page: 'login' }
  | { page: 'signup' }
  | { page: 'agents' }
  | { page: 'agent'; name: string }
  | { page: 'keys' }
  | { page: 'settings' }
  /** The LLM gateway's provider credentials (SPEC §12). */
  | { page: 'providers' }
  | { page: 'team' }
  /** Webhook endpoints and their delivery logs (SPEC §13). */
  | { page: 'webhooks' }
  | { page: 'audit' }
  /** The link of an invite (docs/api.md §8): `#/accept-invite?token=…`. */
  | { page: 'accept-invite'; token: string };

export function parseRoute(hash: string): Route {
  const [path = '/', query = ''] = (hash.replace(/^#/, '') || '/').split('?');
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'login':
      return { page: 'login' };
    case 'signup':
      return { page: 'signup' };
    case 'agents':
      if (parts[1]) return { page: 'agent', name: safeDecode(parts[1]) };
      return { page: 'agents' };
    case 'keys':
      return { page: 'keys' };
    case 'settings':
      return { page: 'settings' };
    case 'providers':
      return { page: 'providers' };
    case 'audit':
      return { page: 'audit' };
    case 'team':
      return { page: 'team' };
    case 'webhooks':
      return { page: 'webhooks' };
    case 'accept-invite':
      return { page: 'accept-invite', token: new URLSearchParams(query).get('token') ?? '' };
    default:
      return { page: 'agents' };
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function href(route: Route): string {
  switch (route.page) {
    case 'agent':
      return `#/agents/${encodeURIComponent(route.name)}`;
    case 'accept-invite':
      return `#/accept-invite?token=${encodeURIComponent(route.token)}`;
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route).slice(1);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
