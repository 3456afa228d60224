// Schema compilers. Two Ajv instances validate requests: bodies with type coercion OFF (Fastify's default Ajv would
// turn "5" into 5 and true into 1 — money must never be coerced), querystrings/params, which are always strings on
// the wire, coerced to the declared scalar types. Unknown body fields are refused by each schema's
// additionalProperties: false, never silently removed. Responses are written with JSON.stringify (a JsonText body is
// already its text: json-text.ts), not a schema-driven serializer that would silently drop a field the schema forgot;
// with checking on (the test suites) each response is first checked against its declared schema, so a schema and the
// code cannot drift apart unseen.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { COMPONENT_SCHEMAS } from '../schemas/index.js';
import { jsonTextOf } from './json-text.js';

function makeAjv(options: { coerceTypes: boolean; useDefaults: boolean }) {
  const ajv = new Ajv.default({
    ...options,
    allErrors: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats.default(ajv);
  for (const schema of COMPONENT_SCHEMAS) ajv.addSchema(schema as object);
  return ajv;
}

const bodyAjv = makeAjv({ coerceTypes: false, useDefaults: true });
const urlAjv = makeAjv({ coerceTypes: true, useDefaults: true });
const responseAjv = makeAjv({ coerceTypes: false, useDefaults: false });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : urlAjv;
  return ajv.compile(schema as object);
};

/** A response that does not match its declared schema: a bug, answered 500 while checking is on. */
export class ResponseSchemaError extends Error {
  constructor(where: string, issues: unknown) {
    super(`response of ${where} does not match its schema: ${JSON.stringify(issues)}`);
    this.name = 'ResponseSchemaError';
  }
}

export function serializerCompiler(check: boolean): FastifySerializerCompiler<unknown> {
  return ({ schema, method, url, httpStatus }) => {
    if (!check) return jsonTextOf;
    const validate = responseAjv.compile(schema as object);
    const where = `${method} ${url} ${httpStatus}`;
    return (data) => {
      // Checked on the JSON a client receives (dates as strings, undefined fields gone), not on the objects.
      const json = jsonTextOf(data);
      if (!validate(json === undefined ? undefined : JSON.parse(json))) {
        const error = new ResponseSchemaError(where, validate.errors);
        // Printed as well: the test that got the 500 may not show the server's log.
        console.error(error.message);
        throw error;
      }
      return json;
    };
  };
}

/**
 * With checking on, a route that declares its responses may answer only a status it declares: the document lists
 * every status a client can get. Another status becomes a 500 that names the route and the status.
 */
export function checkDeclaredStatuses(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const declared = request.routeOptions.schema?.response as Record<string, unknown> | undefined;
    if (declared === undefined || String(reply.statusCode) in declared) return payload;
    const message = `${request.method} ${request.routeOptions.url} answered ${reply.statusCode}, which its schema does not declare`;
    console.error(message);
    reply.code(500);
    return JSON.stringify({ error: { code: 'internal', message } });
  });
}

export interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/**
 * A union (`cost_usd`: number or string) that matched no branch makes Ajv report each branch's type error and then
 * "must match a schema in anyOf". A client needs one line: "must be number or string". A union of literals
 * (`granularity`) likewise becomes one line naming the allowed values.
 */
function foldUnionTypeErrors(issues: ValidationIssue[]): ValidationIssue[] {
  const unionPaths = new Set(issues.filter((i) => i.keyword === 'anyOf').map((i) => i.instancePath ?? ''));
  if (unionPaths.size === 0) return issues;
  const typesAt = new Map<string, string[]>();
  const valuesAt = new Map<string, string[]>();
  const rest: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = issue.instancePath ?? '';
    const folded = issue.keyword === 'type' || issue.keyword === 'anyOf' || issue.keyword === 'const';
    if (!unionPaths.has(path) || !folded) {
      rest.push(issue);
    } else if (issue.keyword === 'type') {
      typesAt.set(path, [...(typesAt.get(path) ?? []), String(issue.params?.type)]);
    } else if (issue.keyword === 'const') {
      valuesAt.set(path, [...(valuesAt.get(path) ?? []), JSON.stringify(issue.params?.allowedValue)]);
    }
  }
  for (const path of unionPaths) {
    const types = typesAt.get(path);
    const values = valuesAt.get(path);
    rest.push({
      instancePath: path,
      message: values
        ? `must be one of ${values.join(', ')}`
        : types
          ? `must be ${types.join(' or ')}`
          : 'has an invalid value',
    });
  }
  return rest;
}

/** Ajv says "must be equal to constant" for a single literal (`by`: "model"); the client needs the value. */
function constMessage(issue: ValidationIssue): string | undefined {
  if (issue.keyword !== 'const' || !issue.params || !('allowedValue' in issue.params)) return issue.message;
  return `must be ${JSON.stringify(issue.params.allowedValue)}`;
}

/** Turns Ajv errors into docs/api.md §4 `details`: one {field, problem} per issue, field as a dotted path. */
export function validationDetails(issues: ValidationIssue[], part: string | undefined) {
  return foldUnionTypeErrors(issues).map((issue) => {
    let field = (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    const params = issue.params ?? {};
    if (typeof params.additionalProperty === 'string') {
      field = field ? `${field}.${params.additionalProperty}` : params.additionalProperty;
      return { field, problem: 'unknown field' };
    }
    if (typeof params.missingProperty === 'string') {
      field = field ? `${field}.${params.missingProperty}` : params.missingProperty;
      return { field, problem: 'is required' };
    }
    return { field: field || (part ?? 'body'), problem: constMessage(issue) ?? 'is invalid' };
  });
}
