// One place turns every thrown thing into the docs/api.md §4 envelope. 5xx bodies never carry internals.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUnavailableError } from '../db/errors.js';
import { ApiError, type ErrorDetail, invalidRequest, notFound, storageUnavailable } from './errors.js';
import { type ValidationIssue, validationDetails } from './validation.js';

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
  return reply.code(error.status).send(error.body());
}

/** Any thrown thing as the ApiError it stands for; null for a bug (answered 500 internal). */
export function toApiError(error: FastifyError): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error.validation) {
    return invalidRequest(
      validationDetails(error.validation as ValidationIssue[], error.validationContext),
      'The request does not match the schema.',
    );
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'The request body is larger than this route accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidRequest([{ field: 'body', problem: 'is not valid JSON' }], 'The body is not valid JSON.');
  }
  if (error instanceof SyntaxError || /Unexpected token|JSON/.test(error.message ?? '')) {
    if (error.statusCode === 400) {
      return invalidRequest([{ field: 'body', problem: 'is not valid JSON' }], 'The body is not valid JSON.');
    }
  }
  if (/prototype/i.test(error.message ?? '') && error.statusCode === 400) {
    const details: ErrorDetail[] = [{ field: 'body', problem: 'contains a forbidden property (__proto__)' }];
    return invalidRequest(details, 'The body contains a forbidden property.');
  }
  if (isUnavailableError(error)) return storageUnavailable();
  if (error.statusCode === 413) return new ApiError('payload_too_large', 'The request body is too large.');
  if (error.statusCode === 415)
    return new ApiError('unsupported_media_type', 'Send the body as application/json.');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return invalidRequest([{ field: 'request', problem: 'is malformed' }], 'The request is malformed.');
  }
  return null;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError) {
      if (apiError.status >= 500) request.log.warn({ err: error }, 'dependency unavailable');
      return sendApiError(reply, apiError);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendApiError(
      reply,
      new ApiError('internal', 'Internal error. The request id identifies it in the logs.'),
    );
  });
  app.setNotFoundHandler((_request, reply) => sendApiError(reply, notFound('route')));
}

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`), in the same envelope: a path
 * segment longer than any name or id the API issues cannot name anything (404), a malformed URL is 400.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('X-Request-Id', request.id);
  const apiError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? notFound()
      : invalidRequest([{ field: 'url', problem: 'is malformed' }], 'The request URL is malformed.');
  sendApiError(reply, apiError);
}
