// An accepted event's 201 body is serialised once (http/json-text.ts): the text the writer stores is the text the
// client receives, and the response check of the test suites still sees it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonText, jsonTextOf } from '../src/http/json-text.js';
import { ResponseSchemaError, serializerCompiler } from '../src/http/validation.js';

const schema = {
  type: 'object',
  required: ['amount_micros'],
  properties: { amount_micros: { type: 'integer' } },
  additionalProperties: false,
};
const compile = (check: boolean) =>
  serializerCompiler(check)({ schema, method: 'POST', url: '/v1/events', httpStatus: '201' });

describe('JsonText: one serialisation for PostgreSQL and the reply', () => {
  it('the serializer sends the very text the writer stores, with checking off and on', () => {
    const body = new JsonText({ amount_micros: 5, at: undefined });
    assert.equal(jsonTextOf(body), '{"amount_micros":5}');
    assert.equal(compile(false)(body), jsonTextOf(body));
    assert.equal(compile(true)(body), jsonTextOf(body));
  });

  it('checking still refuses a JsonText that breaks the route schema', () => {
    const original = console.error;
    console.error = () => {};
    try {
      assert.throws(() => compile(true)(new JsonText({ amount_micros: '5' })), ResponseSchemaError);
    } finally {
      console.error = original;
    }
  });

  it('anything that serialises it another way gets the same JSON', () => {
    const value = { event: { id: 'evt_1', cost_micros: 3 }, budget: null };
    assert.equal(JSON.stringify({ wrapped: new JsonText(value) }), JSON.stringify({ wrapped: value }));
    assert.equal(jsonTextOf(value), JSON.stringify(value));
  });
});
