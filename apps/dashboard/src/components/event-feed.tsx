import { formatUsd } from '../lib/money';
import { gatewayTitle, isGatewayEvent } from '../lib/providers';
import { formatTime } from '../lib/time';
import type { SpendEvent } from '../lib/types';

function metadataText(metadata: SpendEvent['metadata']): string {
  if (!metadata || Object.keys(metadata).length === 0) return '';
  return JSON.stringify(metadata);
}

/** Newest first. Everything user-supplied (metadata, run ids) is rendered as text nodes only. */
export function EventFeed({ events, showAgent = false }: { events: SpendEvent[]; showAgent?: boolean }) {
  if (events.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <ul class="feed" data-testid="event-feed">
      {events.map((event) => (
        <li key={event.id} class={`feed-item feed-${event.status}`} data-testid="event-row">
          <div class="feed-main">
            <span class="amount">{formatUsd(event.cost_micros)}</span>
            {event.status === 'declined' ? (
              <span class="badge badge-suspended" data-testid="decline-code">
                declined{event.decline_code ? `: ${event.decline_code}` : ''}
              </span>
            ) : (
              <span class="badge badge-active">accepted</span>
            )}
            {isGatewayEvent(event) && (
              <span class="badge badge-gateway" data-testid="gateway-tag" title={gatewayTitle(event)}>
                gateway
              </span>
            )}
            {showAgent && <span class="mono">{event.agent}</span>}
            {event.run && <span class="muted small">run {event.run}</span>}
            {event.usage && (
              <span class="muted small" data-testid="event-usage">
                {event.usage.model} · {event.usage.input_tokens.toLocaleString('en-US')} in
                {event.usage.cache_read_tokens > 0
                  ? ` (${event.usage.cache_read_tokens.toLocaleString('en-US')} cached)`
                  : ''}{' '}
                / {event.usage.output_tokens.toLocaleString('en-US')} out
              </span>
            )}
            <time class="muted small feed-time" dateTime={event.recorded_at}>
              {formatTime(event.recorded_at)}
            </time>
          </div>
          {metadataText(event.metadata) && (
            <code class="feed-meta" data-testid="event-metadata">
              {metadataText(event.metadata)}
            </code>
          )}
        </li>
      ))}
    </ul>
  );
}
