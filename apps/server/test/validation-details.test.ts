import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validationDetails } from '../src/http/validation.js';

describe('validation details', () => {
  it('folds a union that matched no branch into one problem naming the allowed types', () => {
    const details = validationDetails(
      [
        { instancePath: '/cost_usd', keyword: 'type', params: { type: 'number' }, message: 'must be number' },
        { instancePath: '/cost_usd', keyword: 'type', params: { type: 'string' }, message: 'must be string' },
        { instancePath: '/cost_usd', keyword: 'anyOf', params: {}, message: 'must match a schema in anyOf' },
        { instancePath: '/agent', keyword: 'pattern', params: {}, message: 'must match pattern' },
      ],
      'body',
    );
    assert.deepEqual(details, [
      { field: 'agent', problem: 'must match pattern' },
      { field: 'cost_usd', problem: 'must be number or string' },
    ]);
  });

  it('names unknown and missing fields by their path', () => {
    const details = validationDetails(
      [
        { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'costs' } },
        { instancePath: '/limits', keyword: 'required', params: { missingProperty: 'month_usd' } },
      ],
      'body',
    );
    assert.deepEqual(details, [
      { field: 'costs', problem: 'unknown field' },
      { field: 'limits.month_usd', problem: 'is required' },
    ]);
  });

  it('names the allowed value of a literal, and the allowed values of a union of literals', () => {
    const details = validationDetails(
      [
        {
          instancePath: '/by',
          keyword: 'const',
          params: { allowedValue: 'model' },
          message: 'must be equal to constant',
        },
        ...['minute', 'hour', 'day'].map((allowedValue) => ({
          instancePath: '/granularity',
          keyword: 'const',
          params: { allowedValue },
          message: 'must be equal to constant',
        })),
        {
          instancePath: '/granularity',
          keyword: 'anyOf',
          params: {},
          message: 'must match a schema in anyOf',
        },
      ],
      'querystring',
    );
    assert.deepEqual(details, [
      { field: 'by', problem: 'must be "model"' },
      { field: 'granularity', problem: 'must be one of "minute", "hour", "day"' },
    ]);
  });
});
