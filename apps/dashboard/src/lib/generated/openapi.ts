// Generated from the server's OpenAPI document by `npm run generate:api-types`; do not edit.
// Source: the TypeBox schemas of apps/server/src/schemas (served at GET /openapi.json).

export interface paths {
  '/healthz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: the process answers */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'ok';
            };
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/readyz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Readiness: PostgreSQL and (if configured) Redis answer within 1.5 s */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description ready */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Readiness'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not ready (Retry-After: 1) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Readiness'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/auth/signup': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Whether a signup would be accepted now, and whether the instance has no user yet */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the signup status */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['SignupStatus'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    /**
     * Create a customer and its owner; starts a session
     * @description With SPENDGUARD_SIGNUP=closed only the very first signup of an empty instance is accepted (with SPENDGUARD_OWNER_EMAIL, only that email); later ones are 403 — people join by invite. A password that is too easy to guess is 400.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "email": "ada@example.com",
           *       "password": "correct horse battery staple",
           *       "company": "Acme"
           *     }
           */
          'application/json': {
            /**
             * Format: email
             * @description case-insensitive
             */
            email: string;
            password: string;
            company: string;
          };
        };
      };
      responses: {
        /** @description signed up; session cookie set */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Session'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/auth/accept-invite': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Join the inviting team with the invite link’s token; starts a session
     * @description An unknown, used or expired token is 404; an email that already has an account is 409. The link works once, for 7 days.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "token": "q4H…",
           *       "password": "correct horse battery staple"
           *     }
           */
          'application/json': {
            /** @description the ?token= of the invite link */
            token: string;
            password: string;
          };
        };
      };
      responses: {
        /** @description joined; session cookie set */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Session'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/auth/login': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Log in; starts a session (cookie) and returns its CSRF token
     * @description A wrong email and a wrong password answer the same 401 in about the same time.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "email": "ada@example.com",
           *       "password": "correct horse battery staple"
           *     }
           */
          'application/json': {
            email: string;
            password: string;
          };
        };
      };
      responses: {
        /** @description logged in; session cookie set */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Session'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/auth/logout': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** End this dashboard session */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description session ended; cookie cleared */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/auth/me': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The logged-in user, its customer and the CSRF token */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the session */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Session'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/users/invites': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Invite someone as admin or viewer: answers the link to hand them (no mail is sent)
     * @description Owner and admin users, or an admin key. The link is built from SPENDGUARD_PUBLIC_URL and works once, for 7 days. An email that already has an account is 409.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "email": "grace@example.com",
           *       "role": "viewer"
           *     }
           */
          'application/json': {
            /**
             * Format: email
             * @description case-insensitive
             */
            email: string;
            /** @description what the new user may do */
            role: 'admin' | 'viewer';
          };
        };
      };
      responses: {
        /** @description the invite link */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Invite'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/users': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The users of this customer, by email, with their roles (any role may read it) */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page of users */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['UserPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/users/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove a user: its sessions end at once; the owner cannot be removed */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description removed */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/api-keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List active API keys, newest first (never the keys themselves) */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page, newest first */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ApiKeyPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    /** Create an API key (the key is shown only in this response) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            name: string;
            /** @description ingest: events, reservations, reading agents; admin: the whole management API */
            kind: 'ingest' | 'admin';
            /** @description ingest keys only: the one agent it may act on */
            agent?: string;
          };
        };
      };
      responses: {
        /** @description created; the only time the key is shown */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['CreatedApiKey'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/api-keys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Revoke an API key; effective on the very next request on every instance
     * @description Idempotent: revoking an already revoked key answers 204 again. 503 means the key is revoked in the database but the shared cache could not be told yet; retry.
     */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description revoked */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/customer': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Budget settings and month spend of the customer */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the customer */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Customer'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /** Change budget settings; in force for the very next event on every instance */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "limits": {
           *         "month_usd": "500"
           *       },
           *       "default_agent_limits": {
           *         "month_usd": "10"
           *       }
           *     }
           */
          'application/json': {
            limits?: {
              /** @description USD as a number or decimal string; null = no limit */
              month_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              month_micros?: number | null;
            };
            /** @description per limit give *_usd or *_micros, not both; null removes the limit; left out keeps it */
            default_agent_limits?: {
              /** @description USD as a number or decimal string; null = no limit */
              month_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              month_micros?: number | null;
              /** @description USD as a number or decimal string; null = no limit */
              day_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              day_micros?: number | null;
              /** @description USD as a number or decimal string; null = no limit */
              run_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              run_micros?: number | null;
              /** @description at most max_* within any window_seconds */
              velocity?: {
                window_seconds: number;
                max_usd?: number | string;
                max_micros?: number;
              } | null;
              /** @description loop detection: more than max requests with one fingerprint within window_seconds is 403 loop_detected and suspends the agent (reason loop_detected) */
              repeats?: {
                max: number;
                window_seconds: number;
              } | null;
            };
            auto_create_agents?: boolean;
            /** @description LLM gateway: the output tokens a call is estimated (held) at when the request sets no max_tokens / max_completion_tokens / max_output_tokens (capped at the model’s output limit); default 4096 */
            gateway_default_max_output_tokens?: number;
            /** @description budget.threshold webhooks fire once per period window when accepted spend first reaches each of these percentages of an agent’s month/day limit or the customer’s month limit; [] = none; default [50, 80, 100] */
            alert_thresholds_percent?: number[];
          };
        };
      };
      responses: {
        /** @description the customer with its new settings */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Customer'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    trace?: never;
  };
  '/v1/agents': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every agent with live spend (?archived=true: only the archived ones) */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
          /** @description true lists only archived agents, false (default) only live ones */
          archived?: boolean;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page of agents */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['AgentPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    /** Create an agent; limits left out take the customer’s defaults */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "name": "research-bot",
           *       "limits": {
           *         "month_usd": "50",
           *         "day_usd": "5",
           *         "velocity": {
           *           "window_seconds": 60,
           *           "max_usd": "2"
           *         }
           *       }
           *     }
           */
          'application/json': {
            /** @description unique per customer */
            name: string;
            /** @description per limit give *_usd or *_micros, not both; null removes the limit; left out keeps it */
            limits?: {
              /** @description USD as a number or decimal string; null = no limit */
              month_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              month_micros?: number | null;
              /** @description USD as a number or decimal string; null = no limit */
              day_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              day_micros?: number | null;
              /** @description USD as a number or decimal string; null = no limit */
              run_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              run_micros?: number | null;
              /** @description at most max_* within any window_seconds */
              velocity?: {
                window_seconds: number;
                max_usd?: number | string;
                max_micros?: number;
              } | null;
              /** @description loop detection: more than max requests with one fingerprint within window_seconds is 403 loop_detected and suspends the agent (reason loop_detected) */
              repeats?: {
                max: number;
                window_seconds: number;
              } | null;
            };
          };
        };
      };
      responses: {
        /** @description created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Agent'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/agents/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One agent with live spend (ingest keys too) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the agent */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Agent'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /**
     * Archive an agent: out of the list, its events refused (404) and not re-created on the fly
     * @description Its history stays; open holds can still be committed. Idempotent: archiving an archived agent answers 204 again. POST /v1/agents/{name}/restore brings it back.
     */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description archived */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    /** Change limits; in force for the very next event on every instance */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "limits": {
           *         "day_usd": "10",
           *         "run_micros": null
           *       }
           *     }
           */
          'application/json': {
            /** @description per limit give *_usd or *_micros, not both; null removes the limit; left out keeps it */
            limits: {
              /** @description USD as a number or decimal string; null = no limit */
              month_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              month_micros?: number | null;
              /** @description USD as a number or decimal string; null = no limit */
              day_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              day_micros?: number | null;
              /** @description USD as a number or decimal string; null = no limit */
              run_usd?: number | string | (never | null);
              /** @description integer micro-dollars; null = no limit */
              run_micros?: number | null;
              /** @description at most max_* within any window_seconds */
              velocity?: {
                window_seconds: number;
                max_usd?: number | string;
                max_micros?: number;
              } | null;
              /** @description loop detection: more than max requests with one fingerprint within window_seconds is 403 loop_detected and suspends the agent (reason loop_detected) */
              repeats?: {
                max: number;
                window_seconds: number;
              } | null;
            };
          };
        };
      };
      responses: {
        /** @description the agent with its new limits */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Agent'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    trace?: never;
  };
  '/v1/agents/{name}/suspend': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Kill switch on (manual); the very next event on any instance is declined */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "note": "looping on the same search"
           *     }
           */
          'application/json': {
            /** @description why; shown on the agent */
            note?: string;
          } | null;
        };
      };
      responses: {
        /** @description suspended (manual) */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Agent'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/agents/{name}/resume': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Kill switch off */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description active */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Agent'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/agents/{name}/restore': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Bring an archived agent back: listed again, its events decided again */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the agent, archived_at null */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Agent'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/agents/{name}/timeseries': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Accepted spend per minute/hour/day bucket (at most 1,000 buckets); ?by=model splits each by model */
    get: {
      parameters: {
        query?: {
          granularity?: 'minute' | 'hour' | 'day';
          from?: string;
          to?: string;
          /** @description model: split each bucket by the model its events were priced for */
          by?: 'model';
        };
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description spend per bucket */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Timeseries'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Events of the customer, newest first (keyset pagination)
     * @description An agent-bound ingest key sees its own agent only.
     */
    get: {
      parameters: {
        query?: {
          /** @description only this agent */
          agent?: string;
          status?: 'accepted' | 'declined';
          /** @description recorded at or after */
          from?: string;
          /** @description recorded before */
          to?: string;
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page, newest first */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['EventPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    /**
     * Record one cost-bearing action; declined with 403 if it would break a budget
     * @description Decided atomically for the agent and its customer, in this order: agent suspended → customer month limit → run limit → agent month/day/velocity limits (the last flips the kill switch). Accepted events are stored in PostgreSQL before the 201. A replay (same key, same body) answers the first status and body with Idempotent-Replayed: true — a first 403 included.
     */
    post: {
      parameters: {
        query?: never;
        header: {
          /** @description Required: 1–255 printable ASCII characters, scoped to the customer. May instead be given as the body field idempotency_key (equal if both). A retry with the same key and body replays the first answer. */
          'idempotency-key': string;
        };
        path?: never;
        cookie?: never;
      };
      /** @description exactly one of cost_usd / cost_micros / usage */
      requestBody: {
        content: {
          'application/json': {
            /** @description agent name; created on its first event when the customer allows it */
            agent: string;
            /** @description the cost: USD as a JSON number or a decimal string (give this or the *_micros field) */
            cost_usd?: number | string;
            /** @description the cost: integer micro-dollars (give this or the *_usd field) */
            cost_micros?: number;
            /** @description priced from the bundled catalogue; an unknown model is 422 unknown_model */
            usage?: {
              /** @description openai, anthropic, … */
              provider: string;
              /** @description as the provider names it; dated snapshot ids too */
              model: string;
              /** @description every input token, cache reads and writes included */
              input_tokens?: number;
              /** @description every output token, reasoning included */
              output_tokens?: number;
              /** @description the part of input_tokens read from the prompt cache */
              cache_read_tokens?: number;
              /** @description the part of input_tokens written to the prompt cache */
              cache_write_tokens?: number;
              /** @description instead of the counts: the provider’s usage object as its API returned it (OpenAI chat-completions or responses, Anthropic messages) */
              raw?: {
                [key: string]: unknown;
              };
            };
            /** @description one run/task/session of the agent; its run limit caps what the run may spend */
            run?: string;
            /**
             * Format: date-time
             * @description informational; default now
             */
            occurred_at?: string;
            /** @description any JSON object, at most 64 keys and 8 KiB serialized; kept with the event */
            metadata?: {
              [key: string]: unknown;
            };
            /** @description instead of the Idempotency-Key header (equal if both are given) */
            idempotency_key?: string;
            /** @description identifies a repeated call (e.g. a hash of model + prompt); counted against the agent’s repeats limit: more than `max` with one fingerprint within the window is 403 loop_detected */
            fingerprint?: string;
          };
        };
      };
      responses: {
        /** @description accepted: counted in every period and stored in PostgreSQL */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['EventCreated'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description idempotency_key_reused: this key was used with another body */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/reservations': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Reservations of the customer, newest first (keyset pagination); held past expires_at reads expired */
    get: {
      parameters: {
        query?: {
          /** @description only this agent */
          agent?: string;
          /** @description a held reservation past expires_at reads expired */
          status?: 'held' | 'committed' | 'released' | 'expired' | 'declined';
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page, newest first */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ReservationPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    /**
     * Hold an estimate against every budget of the agent; declined with 403 as an event would be
     * @description A hold counts against every limit of the agent and customer until it is committed, released or expires. A hold declined for a limit does not flip the kill switch (an estimate is not spend).
     */
    post: {
      parameters: {
        query?: never;
        header: {
          /** @description Required: 1–255 printable ASCII characters, scoped to the customer. May instead be given as the body field idempotency_key (equal if both). A retry with the same key and body replays the first answer. */
          'idempotency-key': string;
        };
        path?: never;
        cookie?: never;
      };
      /** @description exactly one of amount_usd / amount_micros / estimate */
      requestBody: {
        content: {
          'application/json': {
            /** @description agent name; created on its first request when the customer allows it */
            agent: string;
            /** @description the estimate: USD as a JSON number or a decimal string (give this or the *_micros field) */
            amount_usd?: number | string;
            /** @description the estimate: integer micro-dollars (give this or the *_usd field) */
            amount_micros?: number;
            /** @description priced from the catalogue like a usage; an unknown model is 422 unknown_model */
            estimate?: {
              /** @description openai, anthropic, … */
              provider: string;
              /** @description as the provider names it; dated snapshot ids too */
              model: string;
              /** @description the prompt’s tokens, all priced as uncached input */
              input_tokens: number;
              /** @description the most the call may generate (its max_tokens) */
              max_output_tokens: number;
            };
            /** @description seconds until the hold expires (default 300) */
            ttl_seconds?: number;
            /** @description one run of the agent */
            run?: string;
            /** @description instead of the Idempotency-Key header (equal if both are given) */
            idempotency_key?: string;
            /** @description identifies a repeated call (e.g. a hash of model + prompt); counted against the agent’s repeats limit: more than `max` with one fingerprint within the window is 403 loop_detected */
            fingerprint?: string;
          };
        };
      };
      responses: {
        /** @description held until committed, released or expired */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ReservationCreated'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description idempotency_key_reused: this key was used with another body */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/reservations/{id}/commit': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Record the real cost; 201 with the event as POST /v1/events answers
     * @description Always recorded (the money is spent), even above the estimate or after the agent was suspended; if a limit is now exceeded the kill switch flips for what comes next. Idempotent per reservation: a repeat replays the first answer; another cost is 422; a released or declined reservation is 409 (an expired one is still recorded: the money was spent). No Idempotency-Key is needed: the reservation id is the key.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      /** @description exactly one of cost_usd / cost_micros / usage; recorded even above the estimate */
      requestBody: {
        content: {
          'application/json': {
            /** @description the real cost: USD as a JSON number or a decimal string (give this or the *_micros field) */
            cost_usd?: number | string;
            /** @description the real cost: integer micro-dollars (give this or the *_usd field) */
            cost_micros?: number;
            /** @description priced from the bundled catalogue; an unknown model is 422 unknown_model */
            usage?: {
              /** @description openai, anthropic, … */
              provider: string;
              /** @description as the provider names it; dated snapshot ids too */
              model: string;
              /** @description every input token, cache reads and writes included */
              input_tokens?: number;
              /** @description every output token, reasoning included */
              output_tokens?: number;
              /** @description the part of input_tokens read from the prompt cache */
              cache_read_tokens?: number;
              /** @description the part of input_tokens written to the prompt cache */
              cache_write_tokens?: number;
              /** @description instead of the counts: the provider’s usage object as its API returned it (OpenAI chat-completions or responses, Anthropic messages) */
              raw?: {
                [key: string]: unknown;
              };
            };
            /** @description any JSON object, at most 64 keys and 8 KiB serialized; kept with the event */
            metadata?: {
              [key: string]: unknown;
            };
          };
        };
      };
      responses: {
        /** @description the real cost, recorded as an event */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['EventCreated'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description idempotency_key_reused: this key was used with another body */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/reservations/{id}/release': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Give the held amount back; 200 again for a repeat, 409 once committed
     * @description The body is empty or {}. Idempotent per reservation: no Idempotency-Key is needed.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description released (or already released or expired) */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ReservationEnvelope'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/reservations/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One reservation */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the reservation */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ReservationEnvelope'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/prices': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The price a usage of this provider + model is charged at, for the caller’s customer
     * @description The customer’s own price of the model if it has one, else the bundled catalogue’s, else the customer’s "*" price of the provider (for models the catalogue does not know). Neither: 422 unknown_model.
     */
    get: {
      parameters: {
        query: {
          /** @description openai, anthropic, … */
          provider: string;
          /** @description as the provider names it; dated snapshot ids too */
          model: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the prices in force now */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ModelPrice'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description idempotency_key_reused: this key was used with another body */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/prices/customer': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The customer’s own prices, by provider and model (an addition to the contract) */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page, by provider then model */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['CustomerPricePage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/prices/{provider}/{model}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Set the customer’s own price of a model (overrides the catalogue for this customer only)
     * @description Model "*" prices every model of the provider the catalogue does not know. Provider and model are stored lowercase. A "/" in a model id is sent as %2F. In force for the very next request. Audited (price.put).
     */
    put: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description openai, anthropic, … */
          provider: string;
          /** @description as the provider names it; dated snapshot ids too */
          model: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "prices": {
           *         "input_per_mtok_usd": "2.25",
           *         "output_per_mtok_usd": 9,
           *         "cache_read_per_mtok_usd": "1.125"
           *       }
           *     }
           */
          'application/json': {
            /** @description at least input_per_mtok_usd or output_per_mtok_usd */
            prices: {
              /** @description uncached input, USD per million tokens: a JSON number or a decimal string (at most 9 decimal places, at most 10000, no exponent); missing or null: no price of its own */
              input_per_mtok_usd?: number | string | (never | null);
              /** @description output, USD per million tokens: a JSON number or a decimal string (at most 9 decimal places, at most 10000, no exponent); missing or null: no price of its own */
              output_per_mtok_usd?: number | string | (never | null);
              /** @description input read from the prompt cache (missing: the input price), USD per million tokens: a JSON number or a decimal string (at most 9 decimal places, at most 10000, no exponent); missing or null: no price of its own */
              cache_read_per_mtok_usd?: number | string | (never | null);
              /** @description input written to the prompt cache (missing: the input price), USD per million tokens: a JSON number or a decimal string (at most 9 decimal places, at most 10000, no exponent); missing or null: no price of its own */
              cache_write_per_mtok_usd?: number | string | (never | null);
            };
          };
        };
      };
      responses: {
        /** @description the price as stored (source customer) */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ModelPrice'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    post?: never;
    /**
     * Remove the customer’s own price; the model is priced from the catalogue again
     * @description Idempotent: 204 also when the customer had no such price (then nothing is audited). Audited (price.delete) when a price was removed.
     */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description openai, anthropic, … */
          provider: string;
          /** @description as the provider names it; dated snapshot ids too */
          model: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description removed (or there was none) */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/providers': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The customer’s provider credentials (never the keys) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one entry per provider with a stored credential */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ProviderCredentialList'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/providers/{provider}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Store the provider’s API key (and base URL) the gateway calls it with
     * @description Replaces the whole credential (a missing base_url is the provider’s public API again). The key is stored encrypted (AES-256-GCM under SPENDGUARD_ENCRYPTION_KEY) and never returned or logged. In force for the next gateway call on every instance. Audited (provider.put, without the key). 503 when the server has no encryption key (production without SPENDGUARD_ENCRYPTION_KEY).
     */
    put: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description openai or anthropic */
          provider: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description the provider’s API key: 1–512 printable ASCII characters, no spaces; stored encrypted, never returned */
            api_key: string;
            /** @description what the provider’s official client takes as baseURL; missing or null: the provider’s public API. https to a public address, no user name, password, query or fragment (http and private addresses only with SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS=1); a trailing slash is dropped */
            base_url?: string | null;
          };
        };
      };
      responses: {
        /** @description the credential as stored */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ProviderCredential'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    post?: never;
    /**
     * Remove the provider’s credential; the gateway refuses calls to it from then on
     * @description Idempotent: 204 also when none was stored (then nothing is audited). Audited (provider.delete) when one was removed.
     */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description openai or anthropic */
          provider: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description removed (or there was none) */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhooks': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The customer’s webhook endpoints (never their secrets) */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page, by id */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookEndpointPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    /**
     * Add a webhook endpoint; the answer carries its signing secret, the only time it is shown
     * @description Every delivery is a POST of {id, type, created_at, data} signed with Spendguard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. Audited (webhook.create).
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "url": "https://hooks.example.com/spendguard",
           *       "events": [
           *         "agent.suspended",
           *         "agent.resumed"
           *       ],
           *       "description": "on-call pager"
           *     }
           */
          'application/json': {
            /** @description https to a public address (http and private addresses only with SPENDGUARD_WEBHOOK_ALLOW_PRIVATE=1); no user name, password or fragment */
            url: string;
            /** @description the alert types to deliver; default: all */
            events?: ('budget.threshold' | 'agent.suspended' | 'agent.resumed' | 'webhook.test')[];
            description?: string | null;
          };
        };
      };
      responses: {
        /** @description the endpoint, with its secret */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['CreatedWebhookEndpoint'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description conflict, or idempotency_key_in_flight (retry after Retry-After) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhooks/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Delete a webhook endpoint: no new deliveries; its pending ones end as failed */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description deleted */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhooks/{id}/test': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Send a webhook.test to this endpoint (whatever its events) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description queued; see the delivery log */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description whevt_…: the test alert */
              event_id: string;
            };
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhooks/{id}/deliveries': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The endpoint’s delivery log, newest first: one row per alert, its attempts and last outcome */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookDeliveryPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhooks/{id}/deliveries/{delivery_id}/retry': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Deliver this alert again now (also a delivered or failed one), with the same id and body */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
          delivery_id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description queued */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookRetryAccepted'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description not_found: no such object for this customer */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description payload_too_large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unsupported_media_type: send application/json */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/alerts': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The customer’s alerts, newest first, whether or not a webhook endpoint received them */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['AlertPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/audit-log': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Audit entries, newest first */
    get: {
      parameters: {
        query?: {
          /** @description page size, 1–100 */
          limit?: number;
          /** @description next_cursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description one page, newest first */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['AuditPage'];
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Live spend, agent changes and declines (text/event-stream)
     * @description Server-Sent Events of the caller’s customer: `spend` (agent and its spend after an event), `agent` (status or limits changed: the agent object), `declined` (agent and error code). A change on any instance reaches every stream within a second; a comment line every 15 s keeps proxies from closing it.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description the event stream */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'text/event-stream': string;
          };
        };
        /** @description invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unauthenticated: no or bad credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description rate_limited (Retry-After) */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description internal: a bug; the request id identifies it in the logs */
        500: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
        /** @description unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key) */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ErrorBody'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/llm/openai/v1/chat/completions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** OpenAI chat completions through the spend guard */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "model": "gpt-4o-mini",
           *       "messages": [
           *         {
           *           "role": "user",
           *           "content": "Hello"
           *         }
           *       ],
           *       "max_completion_tokens": 500
           *     }
           */
          'application/json': {
            /** @description the model, as the provider names it */
            model: string;
            stream?: boolean;
          } & {
            [key: string]: unknown;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/llm/openai/v1/responses': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** OpenAI responses through the spend guard */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "model": "gpt-4o-mini",
           *       "input": "Hello",
           *       "max_output_tokens": 500
           *     }
           */
          'application/json': {
            /** @description the model, as the provider names it */
            model: string;
            stream?: boolean;
          } & {
            [key: string]: unknown;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/llm/openai/v1/embeddings': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** OpenAI embeddings through the spend guard */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "model": "text-embedding-3-small",
           *       "input": [
           *         "first text",
           *         "second text"
           *       ]
           *     }
           */
          'application/json': {
            /** @description the model, as the provider names it */
            model: string;
            stream?: boolean;
          } & {
            [key: string]: unknown;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/llm/openai/v1/models': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The provider's models, passed through (not metered) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/llm/openai/v1/models/{model}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The provider's models, passed through (not metered) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          model: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/llm/anthropic/v1/messages': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Anthropic messages through the spend guard */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          /**
           * @example {
           *       "model": "claude-sonnet-4-5",
           *       "max_tokens": 1024,
           *       "messages": [
           *         {
           *           "role": "user",
           *           "content": "Hello"
           *         }
           *       ]
           *     }
           */
          'application/json': {
            /** @description the model, as the provider names it */
            model: string;
            stream?: boolean;
          } & {
            [key: string]: unknown;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    ApiError: {
      /**
       * @description machine-readable; one HTTP status per code
       * @enum {string}
       */
      code:
        | 'invalid_request'
        | 'unauthenticated'
        | 'forbidden'
        | 'csrf_failed'
        | 'budget_exceeded'
        | 'agent_suspended'
        | 'loop_detected'
        | 'not_found'
        | 'conflict'
        | 'idempotency_key_in_flight'
        | 'payload_too_large'
        | 'unsupported_media_type'
        | 'idempotency_key_reused'
        | 'unknown_model'
        | 'rate_limited'
        | 'internal'
        | 'unavailable';
      /** @description for people; never carries internals */
      message: string;
      /** @description invalid_request: each field and problem */
      details?: {
        field: string;
        problem: string;
      }[];
      /** @description conflict: the field whose value is taken or in the way */
      field?: string;
      /** @description conflict on a reservation: its status */
      status?: string;
      event_id?: string;
      scope?: 'agent' | 'customer';
      period?: 'month' | 'day' | 'velocity' | 'run';
      /** @description integer micro-dollars (1 USD = 1,000,000) */
      limit_micros?: number;
      /** @description accepted spend plus live holds in that period, before this request */
      spent_micros?: number;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      resets_at?: string | null;
      reason?: 'manual' | 'budget_exceeded' | 'velocity_exceeded' | 'loop_detected';
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      suspended_at?: string | null;
      /** @description loop_detected: the fingerprint repeated too often */
      fingerprint?: string;
      /** @description loop_detected: requests with it within the window, this one included */
      count?: number;
      /** @description loop_detected: the repeats limit’s window */
      window_seconds?: number;
      /** @description a declined event, as recorded */
      event?: unknown;
      /** @description a declined reservation, as recorded */
      reservation?: unknown;
      /** @description unknown_model: the provider asked for */
      provider?: string;
      /** @description unknown_model: the model asked for */
      model?: string;
    };
    ErrorBody: {
      error: components['schemas']['ApiError'];
    };
    /** @description null limit = no limit */
    BudgetPeriod: {
      /** @description integer micro-dollars (1 USD = 1,000,000) */
      limit_micros: number | null;
      /** @description accepted spend plus live holds */
      spent_micros: number;
      remaining_micros: number | null;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      resets_at: string | null;
    };
    /** @description spend as the decision saw it, against the limits it applied */
    Budget: {
      agent: {
        month: components['schemas']['BudgetPeriod'];
        day: components['schemas']['BudgetPeriod'];
        velocity: components['schemas']['BudgetPeriod'];
      };
      customer: {
        month: components['schemas']['BudgetPeriod'];
      };
    };
    /** @description the usage an event was priced from, normalised */
    Usage: {
      provider: string;
      model: string;
      input_tokens: number;
      output_tokens: number;
      cache_read_tokens: number;
      cache_write_tokens: number;
    };
    /** @description the prices an event was charged at */
    Price: {
      /** @description the bundled catalogue, or the customer’s own price (docs/api.md §14) */
      source: 'catalogue' | 'customer';
      /** @description e.g. genai-prices@0.1.8; null for the customer’s own price */
      catalogue_version: string | null;
      /** @description USD per million tokens, exact decimal; null where not priced */
      input_per_mtok_usd: string | null;
      /** @description USD per million tokens, exact decimal; null where not priced */
      output_per_mtok_usd: string | null;
      /** @description USD per million tokens, exact decimal; null where not priced */
      cache_read_per_mtok_usd: string | null;
      /** @description USD per million tokens, exact decimal; null where not priced */
      cache_write_per_mtok_usd: string | null;
    };
    /** @description USD per million tokens; a tiered catalogue price shows its base (below the first tier) */
    Prices: {
      /** @description USD per million tokens, exact decimal; null: no price of its own for this class */
      input_per_mtok_usd: string | null;
      /** @description USD per million tokens, exact decimal; null: no price of its own for this class */
      output_per_mtok_usd: string | null;
      /** @description USD per million tokens, exact decimal; null: no price of its own for this class */
      cache_read_per_mtok_usd: string | null;
      /** @description USD per million tokens, exact decimal; null: no price of its own for this class */
      cache_write_per_mtok_usd: string | null;
    };
    /** @description what a usage of this provider + model is priced at for this customer */
    ModelPrice: {
      /** @description lowercase */
      provider: string;
      /** @description as asked (GET) or as stored, lowercase (PUT) */
      model: string;
      source: 'catalogue' | 'customer';
      /** @description e.g. genai-prices@0.1.8; null for the customer’s own price */
      catalogue_version: string | null;
      /** @description the entry that prices it: the catalogue’s model id (a dated snapshot id resolves to its model), the customer’s model, or "*" */
      matched_model: string;
      prices: components['schemas']['Prices'];
    };
    CustomerPrice: {
      /** @description lowercase */
      provider: string;
      /** @description lowercase; "*" prices every model of the provider the catalogue lacks */
      model: string;
      prices: components['schemas']['Prices'];
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      updated_at: string;
    };
    CustomerPricePage: {
      data: components['schemas']['CustomerPrice'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    /** @description a stored provider credential; the key itself is never returned */
    ProviderCredential: {
      provider: 'openai' | 'anthropic';
      /** @description where the gateway sends this provider’s calls: the stored base_url, or the provider’s public API (https://api.openai.com/v1, https://api.anthropic.com) when none was given */
      base_url: string;
      /** @description the first 3 and last 4 characters of the key (sk-…abcd); a key under 12 characters: …yz */
      key_hint: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      updated_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      last_used_at: string | null;
    };
    ProviderCredentialList: {
      /** @description by provider; at most one credential per provider */
      data: components['schemas']['ProviderCredential'][];
    };
    /** @description a webhook endpoint; its secret is shown only when it is created */
    WebhookEndpoint: {
      /** @description wh_… */
      id: string;
      url: string;
      /** @description the alert types delivered to it */
      events: ('budget.threshold' | 'agent.suspended' | 'agent.resumed' | 'webhook.test')[];
      description: string | null;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
    };
    CreatedWebhookEndpoint: {
      /** @description wh_… */
      id: string;
      url: string;
      /** @description the alert types delivered to it */
      events: ('budget.threshold' | 'agent.suspended' | 'agent.resumed' | 'webhook.test')[];
      description: string | null;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /** @description whsec_…: the HMAC-SHA256 key of Spendguard-Signature (the whole string, UTF-8). Shown this once only */
      secret: string;
    };
    WebhookEndpointPage: {
      data: components['schemas']['WebhookEndpoint'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    WebhookDelivery: {
      /** @description whdel_… */
      id: string;
      /** @description whevt_…: the id every attempt of this alert carries */
      event_id: string;
      type: string;
      /** @description attempts so far */
      attempt: number;
      status: 'pending' | 'delivered' | 'failed';
      /** @description the HTTP status of the last attempt */
      response_status: number | null;
      /** @description why the last attempt did not deliver */
      error: string | null;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      next_attempt_at: string | null;
    };
    WebhookDeliveryPage: {
      data: components['schemas']['WebhookDelivery'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    WebhookRetryAccepted: {
      delivery: components['schemas']['WebhookDelivery'];
    };
    Alert: {
      /** @description whevt_…: also the id its webhook deliveries carry */
      id: string;
      /** @description budget.threshold, agent.suspended or agent.resumed */
      type: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /** @description as delivered (docs/api.md §13) */
      data: unknown;
    };
    AlertPage: {
      data: components['schemas']['Alert'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    Event: {
      /** @description evt_… */
      id: string;
      agent: string;
      /** @description integer micro-dollars (1 USD = 1,000,000) */
      cost_micros: number;
      /** @description exact decimal USD with six places, e.g. "0.012300" */
      cost_usd: string;
      idempotency_key: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      occurred_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      recorded_at: string;
      status: 'accepted' | 'declined';
      /** @description why a declined event was declined (an error code) */
      decline_code?: string | null;
      run: string | null;
      /** @description any JSON object, at most 64 keys and 8 KiB serialized; kept with the event */
      metadata: {
        [key: string]: unknown;
      } | null;
      /** @description the reservation it committed, if any */
      reservation_id?: string | null;
      usage?: components['schemas']['Usage'];
      price?: components['schemas']['Price'];
    };
    EventCreated: {
      event: components['schemas']['Event'];
      budget: components['schemas']['Budget'];
    };
    EventPage: {
      data: components['schemas']['Event'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    Reservation: {
      /** @description rsv_… */
      id: string;
      agent: string;
      run: string | null;
      /** @description integer micro-dollars (1 USD = 1,000,000) */
      amount_micros: number;
      /** @description exact decimal USD with six places, e.g. "0.012300" */
      amount_usd: string;
      /** @description a held reservation past expires_at reads expired */
      status: 'held' | 'committed' | 'released' | 'expired' | 'declined';
      decline_code?: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      expires_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      finished_at: string | null;
      /** @description the event its commit recorded */
      event_id: string | null;
    };
    ReservationCreated: {
      reservation: components['schemas']['Reservation'];
      budget: components['schemas']['Budget'];
    };
    ReservationEnvelope: {
      reservation: components['schemas']['Reservation'];
    };
    ReservationPage: {
      data: components['schemas']['Reservation'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    /** @description null = no limit */
    Limits: {
      /** @description integer micro-dollars (1 USD = 1,000,000) */
      month_micros: number | null;
      /** @description integer micro-dollars (1 USD = 1,000,000) */
      day_micros: number | null;
      /** @description integer micro-dollars (1 USD = 1,000,000) */
      run_micros: number | null;
      velocity: {
        window_seconds: number;
        /** @description integer micro-dollars (1 USD = 1,000,000) */
        max_micros: number;
      } | null;
      /** @description at most max requests with one fingerprint within window_seconds */
      repeats: {
        max: number;
        window_seconds: number;
      } | null;
    };
    Agent: {
      /** @description agt_… */
      id: string;
      name: string;
      /** @description the kill switch: a suspended agent’s events are declined */
      status: 'active' | 'suspended';
      suspended_reason:
        | ('manual' | 'budget_exceeded' | 'velocity_exceeded' | 'loop_detected')
        | (never | null);
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      suspended_at: string | null;
      suspended_period: ('month' | 'day' | 'velocity') | (never | null);
      /**
       * Format: date-time
       * @description when the suspension lifts by itself (a budget_exceeded one, at its period’s end); null = only by resume
       */
      resumes_at: string | null;
      suspended_note: string | null;
      limits: components['schemas']['Limits'];
      /** @description accepted spend plus live holds */
      spend: {
        month_micros: number;
        day_micros: number;
        velocity_micros: number;
      };
      /** @description created on the fly by its first event or reservation, not by a person (a typo shows here) */
      auto_created: boolean;
      /**
       * Format: date-time
       * @description archived by DELETE: its events are refused until restore
       */
      archived_at: string | null;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      last_event_at: string | null;
    };
    AgentPage: {
      data: components['schemas']['Agent'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    /** @description one model’s accepted spend in a bucket; provider and model null for events given a cost */
    ModelSpend: {
      /** @description as the events’ usage names it; null: not priced from usage */
      provider: string | null;
      /** @description as the events’ usage names it; null: not priced from usage */
      model: string | null;
      spent_micros: number;
      event_count: number;
      input_tokens: number;
      output_tokens: number;
      cache_read_tokens: number;
      cache_write_tokens: number;
    };
    /** @description the models of a bucket beyond the first 20 by spend, summed */
    OtherModelsSpend: {
      /** @description how many models were folded into this entry */
      models: number;
      spent_micros: number;
      event_count: number;
      input_tokens: number;
      output_tokens: number;
      cache_read_tokens: number;
      cache_write_tokens: number;
    };
    Timeseries: {
      granularity: 'minute' | 'hour' | 'day';
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      from: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      to: string;
      /** @description buckets with accepted spend, oldest first; empty buckets are left out */
      data: {
        /**
         * Format: date-time
         * @description ISO 8601, UTC
         */
        bucket_start: string;
        spent_micros: number;
        event_count: number;
        /** @description ?by=model only: the bucket split by model, largest spend first, at most 20 entries */
        by_model?: components['schemas']['ModelSpend'][];
        /** @description ?by=model only: the models beyond the first 20, summed; null when by_model lists all */
        other_models?: components['schemas']['OtherModelsSpend'] | (never | null);
      }[];
    };
    Customer: {
      /** @description cus_… */
      id: string;
      name: string;
      limits: {
        /** @description integer micro-dollars (1 USD = 1,000,000) */
        month_micros: number | null;
        /** @description exact decimal USD with six places, e.g. "0.012300" */
        month_usd: string | null;
      };
      default_agent_limits: components['schemas']['Limits'];
      auto_create_agents: boolean;
      /** @description LLM gateway: the output tokens a call is estimated (held) at when the request sets no max_tokens / max_completion_tokens / max_output_tokens (capped at the model’s output limit); default 4096 */
      gateway_default_max_output_tokens: number;
      /** @description budget.threshold webhooks fire once per period window when accepted spend first reaches each of these percentages of an agent’s month/day limit or the customer’s month limit; [] = none; default [50, 80, 100] */
      alert_thresholds_percent: number[];
      spend: {
        month_micros: number;
        /**
         * Format: date-time
         * @description ISO 8601, UTC
         */
        resets_at: string;
      };
    };
    AuditEntry: {
      id: string;
      /** @description user, api_key or system */
      actor_type: string;
      actor_id: string | null;
      /** @description e.g. agent.suspend, agent.limits, api_key.revoke */
      action: string;
      target_type: string;
      target_id: string | null;
      before: unknown;
      after: unknown;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
    };
    AuditPage: {
      data: components['schemas']['AuditEntry'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    User: {
      /** @description usr_… */
      id: string;
      email: string;
      /** @description owner (the signup) and admin: everything; viewer: reads only (and logout) */
      role: 'owner' | 'admin' | 'viewer';
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
    };
    UserPage: {
      data: components['schemas']['User'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    Invite: {
      /** @description the link to hand to the person (no mail is sent): SPENDGUARD_PUBLIC_URL with the token as ?token= */
      invite_url: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      expires_at: string;
    };
    SignupStatus: {
      /** @description a signup would be accepted now (SPENDGUARD_SIGNUP=closed: only on an empty instance) */
      open: boolean;
      /** @description no user yet: the dashboard opens on Sign up */
      empty: boolean;
    };
    SessionCustomer: {
      /** @description cus_… */
      id: string;
      name: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
    };
    Session: {
      user: components['schemas']['User'];
      customer: components['schemas']['SessionCustomer'];
      /** @description send as X-CSRF-Token on every cookie-authenticated write */
      csrf_token: string;
    };
    ApiKey: {
      /** @description key_… */
      id: string;
      name: string;
      /** @description ingest: events, reservations, reading agents; admin: the whole management API */
      kind: 'ingest' | 'admin';
      /** @description the one agent a bound ingest key may act on */
      agent: string | null;
      /** @description first characters of the key, e.g. sg_ingest_ab12 */
      prefix: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      last_used_at: string | null;
    };
    CreatedApiKey: {
      /** @description key_… */
      id: string;
      name: string;
      /** @description ingest: events, reservations, reading agents; admin: the whole management API */
      kind: 'ingest' | 'admin';
      /** @description the one agent a bound ingest key may act on */
      agent: string | null;
      /** @description first characters of the key, e.g. sg_ingest_ab12 */
      prefix: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      created_at: string;
      /**
       * Format: date-time
       * @description ISO 8601, UTC
       */
      last_used_at: string | null;
      /** @description the secret; shown only in this response */
      key: string;
    };
    ApiKeyPage: {
      data: components['schemas']['ApiKey'][];
      /** @description pass as ?cursor= for the next page; null on the last page */
      next_cursor: string | null;
    };
    Readiness: {
      status: 'ready' | 'unavailable';
      checks: {
        database: 'ok' | 'down' | 'not_configured';
        redis: 'ok' | 'down' | 'not_configured';
      };
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
