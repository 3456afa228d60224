// The output helpers of the command line: exact dollars from micros, RFC 4180 fields, when to colour.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colourEnabled, csv, csvField, usd } from '../src/format.js';

describe('cli format', () => {
  it('formats micros as exact dollars, never through a float', () => {
    assert.equal(usd(0), '$0.00');
    assert.equal(usd(1), '$0.000001');
    assert.equal(usd(12300), '$0.0123');
    assert.equal(usd(50_000_000), '$50.00');
    assert.equal(usd(1_234_567_890_123), '$1,234,567.890123');
    assert.equal(usd(Number.MAX_SAFE_INTEGER), '$9,007,199,254.740991');
    assert.equal(usd(-1_500_000), '-$1.50');
    assert.equal(usd(null), '-');
  });

  it('quotes CSV fields as RFC 4180 says', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(null), '');
    assert.equal(csvField({ a: 1 }), '"{""a"":1}"');
    assert.equal(csv(['id', 'x'], [['1', 'y']]), 'id,x\r\n1,y\r\n');
  });

  it('colours only a TTY, and never with NO_COLOR', () => {
    assert.equal(colourEnabled({ isTTY: true }, {}), true);
    assert.equal(colourEnabled({ isTTY: false }, {}), false);
    assert.equal(colourEnabled({}, {}), false);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: '' }), true);
  });
});
