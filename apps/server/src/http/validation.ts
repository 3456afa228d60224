// Two Ajv instances: request bodies are validated with type coercion OFF (Fastify's default Ajv would turn "5" into
// 5 and true into 1 — money must never be coerced), while querystrings/params, which are always strings on the
// wire, are coerced to the declared scalar types. Unknown body fields are refused by each schema's
// additionalProperties: false, never silently removed.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({
    coerceTypes,
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const urlAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : urlAjv;
  return ajv.compile(schema as object);
};

export interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/**
 * A union (`cost_usd`: number or string) that matched no branch makes Ajv report each branch's type error and then
 * "must match a schema in anyOf". A client needs one line: "must be number or string".
 */
function foldUnionTypeErrors(issues: ValidationIssue[]): ValidationIssue[] {
  const unionPaths = new Set(issues.filter((i) => i.keyword === 'anyOf').map((i) => i.instancePath ?? ''));
  if (unionPaths.size === 0) return issues;
  const typesAt = new Map<string, string[]>();
  const rest: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = issue.instancePath ?? '';
    if (!unionPaths.has(path) || (issue.keyword !== 'type' && issue.keyword !== 'anyOf')) {
      rest.push(issue);
    } else if (issue.keyword === 'type') {
      typesAt.set(path, [...(typesAt.get(path) ?? []), String(issue.params?.type)]);
    }
  }
  for (const path of unionPaths) {
    const types = typesAt.get(path);
    rest.push({
      instancePath: path,
      message: types ? `must be ${types.join(' or ')}` : 'has an invalid value',
    });
  }
  return rest;
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
    return { field: field || (part ?? 'body'), problem: issue.message ?? 'is invalid' };
  });
}
