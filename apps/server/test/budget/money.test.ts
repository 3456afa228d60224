import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  formatUsd,
  MAX_EVENT_MICROS,
  MAX_LIMIT_MICROS,
  MICROS_PER_USD,
  type MicrosResult,
  parseAmount,
  parseMicros,
  parseUsd,
} from '../../src/budget/money.js';

function micros(result: MicrosResult): number {
  assert.equal(result.ok, true, `expected ok, got ${JSON.stringify(result)}`);
  return (result as { ok: true; micros: number }).micros;
}

function rejected(result: MicrosResult): string {
  assert.equal(result.ok, false, `expected a rejection, got ${JSON.stringify(result)}`);
  return (result as { ok: false; problem: string }).problem;
}

/** Reference: exact half-up rounding of an unsigned "I.F" decimal string, with BigInt only. */
function referenceMicros(text: string): bigint {
  const [intPart, fracPart = ''] = text.split('.');
  const scaled = BigInt(intPart! + fracPart.padEnd(12, '0')); // value × 10^12
  return (scaled + 500_000n) / 1_000_000n; // to 10^6 with half-up
}

/** Reference decimal text of micros, built with BigInt (not with formatUsd), trailing zeros trimmed. */
function referenceText(m: bigint): string {
  const whole = m / 1_000_000n;
  const frac = String(m % 1_000_000n)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}

/** Reference six-decimal text of (possibly negative) micros, with BigInt. */
function referenceFormat(m: bigint): string {
  const abs = m < 0n ? -m : m;
  return `${m < 0n ? '-' : ''}${abs / 1_000_000n}.${String(abs % 1_000_000n).padStart(6, '0')}`;
}

describe('constants', () => {
  test('are the documented sizes', () => {
    assert.equal(MICROS_PER_USD, 1_000_000);
    assert.equal(MAX_EVENT_MICROS, 1_000_000_000_000);
    assert.equal(MAX_LIMIT_MICROS, 1_000_000_000_000_000);
    assert.ok(Number.isSafeInteger(MAX_LIMIT_MICROS));
  });
});

describe('parseUsd examples', () => {
  const max = MAX_EVENT_MICROS;

  test('accepts JSON numbers exactly', () => {
    assert.equal(micros(parseUsd(0.0123, max)), 12_300);
    assert.equal(micros(parseUsd(1.73, max)), 1_730_000);
    assert.equal(micros(parseUsd(0, max)), 0);
    assert.equal(micros(parseUsd(12, max)), 12_000_000);
    assert.equal(micros(parseUsd(1.005, max)), 1_005_000); // 1.005 * 1e6 === 1004999.9999999999
  });

  test('numbers printed with exponents are parsed exactly', () => {
    assert.equal(micros(parseUsd(1e-7, max)), 0);
    assert.equal(micros(parseUsd(5e-7, max)), 1);
    assert.equal(micros(parseUsd(1.5e-7, max)), 0);
    assert.equal(micros(parseUsd(1.5e-6, max)), 2);
    assert.equal(micros(parseUsd(2e3, max)), 2_000_000_000);
    assert.equal(micros(parseUsd(1e-300, max)), 0);
    assert.equal(micros(parseUsd(Number.MIN_VALUE, max)), 0);
  });

  test('rounds half-up where float multiplication would round down', () => {
    // Number('4120.5848565') * 1e6 rounds to ...856, the exact half-up answer is ...857.
    assert.equal(micros(parseUsd(4120.5848565, max)), 4_120_584_857);
    assert.equal(micros(parseUsd('4120.5848565', max)), 4_120_584_857);
    assert.equal(micros(parseUsd(1.0000005, max)), 1_000_001);
  });

  test('accepts decimal strings', () => {
    assert.equal(micros(parseUsd('0.0123', max)), 12_300);
    assert.equal(micros(parseUsd('12', max)), 12_000_000);
    assert.equal(micros(parseUsd('0', max)), 0);
    assert.equal(micros(parseUsd('0.000000', max)), 0);
    assert.equal(micros(parseUsd('007.5', max)), 7_500_000);
    assert.equal(micros(parseUsd('1000000', max)), MAX_EVENT_MICROS);
    assert.equal(micros(parseUsd('1.5e-6', max)), 2);
    assert.equal(micros(parseUsd('2E+3', max)), 2_000_000_000);
    assert.equal(micros(parseUsd('1e-400', max)), 0);
    assert.equal(micros(parseUsd('0e400', max)), 0);
  });

  test('rounds half-up to whole micros', () => {
    assert.equal(micros(parseUsd('0.0000005', max)), 1);
    assert.equal(micros(parseUsd('0.0000004999', max)), 0);
    assert.equal(micros(parseUsd('0.00000049999999999999', max)), 0);
    assert.equal(micros(parseUsd('0.0000015', max)), 2);
    assert.equal(micros(parseUsd('0.0000025', max)), 3);
    assert.equal(micros(parseUsd('0.00000050000000000001', max)), 1);
    assert.equal(micros(parseUsd('0.000000999', max)), 1);
    assert.equal(micros(parseUsd('0.00000005', max)), 0);
    assert.equal(micros(parseUsd('1.9999995', max)), 2_000_000);
    assert.equal(micros(parseUsd('999999.9999995', max)), MAX_EVENT_MICROS);
  });

  test('treats the number -0 as 0', () => {
    assert.equal(micros(parseUsd(-0, max)), 0);
    assert.ok(Object.is(micros(parseUsd(-0, max)), 0));
  });

  test('rejects values over the maximum', () => {
    assert.match(rejected(parseUsd(1_000_000.000001, max)), /at most 1000000\.000000 USD/);
    assert.match(rejected(parseUsd('1000000.0000005', max)), /at most/);
    assert.match(rejected(parseUsd('1e400', max)), /at most/);
    assert.match(rejected(parseUsd('1e999999999999999999999999999', max)), /at most/);
    assert.match(rejected(parseUsd(1e21, max)), /at most/);
    assert.match(rejected(parseUsd(Number.MAX_VALUE, max)), /at most/);
    assert.match(rejected(parseUsd('99999999999999999999', max)), /at most/);
    assert.match(rejected(parseUsd('5', 4_999_999)), /at most 4\.999999 USD/);
    assert.equal(micros(parseUsd('5', 5_000_000)), 5_000_000);
  });

  test('rejects what is not a non-negative finite decimal', () => {
    const bad: unknown[] = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0.01,
      -1,
      -Number.MIN_VALUE,
      '-1',
      '-0.0',
      '-0',
      '+1',
      '12.',
      '.5',
      '',
      ' ',
      ' 1',
      '1 ',
      '1\n',
      '1,5',
      '1.2.3',
      'abc',
      '0x10',
      'NaN',
      'Infinity',
      '1e',
      'e5',
      '1e+',
      '1_000',
      '١',
      `0.${'0'.repeat(39)}`,
      true,
      false,
      null,
      undefined,
      [],
      [1],
      {},
      { usd: 1 },
      1n,
    ];
    for (const value of bad) {
      const problem = rejected(parseUsd(value, max));
      assert.ok(problem.length > 0 && problem.length < 80, `short problem for ${String(value)}: ${problem}`);
    }
  });

  test('gives a short human problem text', () => {
    assert.equal(rejected(parseUsd('abc', max)), 'must be a non-negative decimal number of USD');
    assert.equal(rejected(parseUsd(Number.NaN, max)), 'must be a finite number of USD');
  });

  test('accepts strings up to 40 characters, not longer', () => {
    const forty = `0.${'0'.repeat(37)}1`;
    assert.equal(forty.length, 40);
    assert.equal(micros(parseUsd(forty, max)), 0);
    rejected(parseUsd(`${forty}0`, max));
  });
});

describe('parseMicros examples', () => {
  test('accepts non-negative safe integers up to the maximum', () => {
    assert.equal(micros(parseMicros(0, 10)), 0);
    assert.equal(micros(parseMicros(10, 10)), 10);
    assert.equal(micros(parseMicros(12_300, MAX_EVENT_MICROS)), 12_300);
    assert.equal(micros(parseMicros(MAX_LIMIT_MICROS, MAX_LIMIT_MICROS)), MAX_LIMIT_MICROS);
    assert.ok(Object.is(micros(parseMicros(-0, 10)), 0));
  });

  test('rejects over the maximum with its own message', () => {
    assert.equal(rejected(parseMicros(11, 10)), 'must be at most 10 micros');
  });

  test('rejects fractions, strings, negatives and non-numbers', () => {
    const bad: unknown[] = [
      1.5,
      0.1,
      -1,
      '100',
      '0',
      true,
      false,
      null,
      undefined,
      [],
      {},
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.MAX_SAFE_INTEGER + 1,
      2 ** 60,
      1n,
    ];
    for (const value of bad) {
      assert.equal(
        rejected(parseMicros(value, Number.MAX_SAFE_INTEGER)),
        'must be a non-negative integer number of micro-dollars',
      );
    }
  });
});

describe('parseAmount', () => {
  const opts = { maxMicros: MAX_EVENT_MICROS, required: true };

  test('reads the USD field', () => {
    assert.deepEqual(parseAmount({ cost_usd: '0.0123' }, 'cost_usd', 'cost_micros', opts), {
      ok: true,
      micros: 12_300,
    });
  });

  test('reads the micros field', () => {
    assert.deepEqual(parseAmount({ cost_micros: 12_300 }, 'cost_usd', 'cost_micros', opts), {
      ok: true,
      micros: 12_300,
    });
  });

  test('rejects both fields given, naming both', () => {
    const result = parseAmount({ cost_usd: 1, cost_micros: 1 }, 'cost_usd', 'cost_micros', opts);
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems.map((p) => p.field), ['cost_usd', 'cost_micros']);
  });

  test('requires one when required, allows none otherwise', () => {
    const missing = parseAmount({}, 'cost_usd', 'cost_micros', opts);
    assert.deepEqual(missing, {
      ok: false,
      problems: [{ field: 'cost_usd', problem: 'required: give cost_usd or cost_micros' }],
    });
    assert.deepEqual(parseAmount({}, 'month_usd', 'month_micros', { ...opts, required: false }), {
      ok: true,
      micros: undefined,
    });
    assert.deepEqual(
      parseAmount({ month_usd: undefined }, 'month_usd', 'month_micros', { ...opts, required: false }),
      { ok: true, micros: undefined },
    );
  });

  test('reports the bad field with its problem', () => {
    assert.deepEqual(parseAmount({ cost_micros: '5' }, 'cost_usd', 'cost_micros', opts), {
      ok: false,
      problems: [{ field: 'cost_micros', problem: 'must be a non-negative integer number of micro-dollars' }],
    });
    assert.deepEqual(parseAmount({ cost_usd: -1 }, 'cost_usd', 'cost_micros', opts), {
      ok: false,
      problems: [{ field: 'cost_usd', problem: 'must be a non-negative decimal number of USD' }],
    });
    assert.deepEqual(parseAmount({ cost_usd: null }, 'cost_usd', 'cost_micros', opts), {
      ok: false,
      problems: [{ field: 'cost_usd', problem: 'must be a non-negative decimal number of USD' }],
    });
  });

  test('applies the maximum it is given', () => {
    const result = parseAmount({ max_micros: 11 }, 'max_usd', 'max_micros', {
      maxMicros: 10,
      required: true,
    });
    assert.equal(result.ok, false);
  });

  test('ignores inherited properties', () => {
    const body = Object.create({ cost_usd: 1 }) as Record<string, unknown>;
    body.cost_micros = 7;
    assert.deepEqual(parseAmount(body, 'cost_usd', 'cost_micros', opts), { ok: true, micros: 7 });
  });
});

describe('formatUsd examples', () => {
  test('prints exactly six decimals', () => {
    assert.equal(formatUsd(12_300), '0.012300');
    assert.equal(formatUsd(1_730_000), '1.730000');
    assert.equal(formatUsd(0), '0.000000');
    assert.equal(formatUsd(-0), '0.000000');
    assert.equal(formatUsd(1), '0.000001');
    assert.equal(formatUsd(-1), '-0.000001');
    assert.equal(formatUsd(-1_730_000), '-1.730000');
    assert.equal(formatUsd(MAX_EVENT_MICROS), '1000000.000000');
    assert.equal(formatUsd(Number.MAX_SAFE_INTEGER), '9007199254.740991');
    assert.equal(formatUsd(Number.MIN_SAFE_INTEGER), '-9007199254.740991');
    assert.equal(formatUsd(8_999_999_999_999_999 - 8_000_000_000_000_000), '999999999.999999');
  });

  test('refuses what is not a safe integer', () => {
    assert.throws(() => formatUsd(1.5), RangeError);
    assert.throws(() => formatUsd(Number.NaN), RangeError);
    assert.throws(() => formatUsd(2 ** 53), RangeError);
  });
});

describe('properties', () => {
  const microsArb = fc.bigInt({ min: 0n, max: BigInt(MAX_LIMIT_MICROS) });
  const decimalArb = fc
    .tuple(
      fc.bigInt({ min: 0n, max: 10n ** 9n - 1n }), // stays within MAX_LIMIT_MICROS after rounding
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 0, maxLength: 12 }),
    )
    .map(([whole, frac]) => (frac === '' ? String(whole) : `${whole}.${frac}`));

  test('parseUsd of the exact decimal text of micros gives those micros', () => {
    fc.assert(
      fc.property(microsArb, (m) => {
        assert.equal(micros(parseUsd(referenceText(m), MAX_LIMIT_MICROS)), Number(m));
      }),
      { numRuns: 2000 },
    );
  });

  test('parseUsd of a JSON number m/1e6 gives m (any amount up to the event maximum)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: BigInt(MAX_EVENT_MICROS) }), (m) => {
        const usd = Number(m) / MICROS_PER_USD;
        assert.equal(micros(parseUsd(usd, MAX_EVENT_MICROS)), Number(m));
      }),
      { numRuns: 2000 },
    );
  });

  test('a number and its own decimal text parse alike', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2e6, noNaN: true }), (n) => {
        assert.deepEqual(parseUsd(n, MAX_EVENT_MICROS), parseUsd(String(n), MAX_EVENT_MICROS));
      }),
      { numRuns: 2000 },
    );
  });

  test('a JSON number parses like the decimal text it was written as (<= 15 significant digits)', () => {
    // Any decimal with at most 15 significant digits survives text -> double -> shortest text, so
    // parsing the number must give exactly what parsing the original text gives (rounding included).
    const fifteenDigits = fc
      .tuple(
        fc.integer({ min: 0, max: 999_999 }),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 0, maxLength: 9 }),
      )
      .map(([whole, frac]) => (frac === '' ? String(whole) : `${whole}.${frac}`));
    fc.assert(
      fc.property(fifteenDigits, (text) => {
        assert.deepEqual(parseUsd(Number(text), MAX_LIMIT_MICROS), parseUsd(text, MAX_LIMIT_MICROS));
        assert.equal(micros(parseUsd(Number(text), MAX_LIMIT_MICROS)), Number(referenceMicros(text)));
      }),
      { numRuns: 3000 },
    );
  });

  test('JSON numbers exactly half a micro above a whole micro round up', () => {
    // The cases where `Math.round(n * 1e6)` goes wrong: the float product lands just below .5.
    const halves = fc
      .tuple(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 999_999 }))
      .map(([whole, micro]) => `${whole}.${String(micro).padStart(6, '0')}5`);
    fc.assert(
      fc.property(halves, (text) => {
        assert.equal(micros(parseUsd(Number(text), MAX_LIMIT_MICROS)), Number(referenceMicros(text)));
      }),
      { numRuns: 3000 },
    );
  });

  test('half-up rounding matches a BigInt reference on strings with up to 12 decimals', () => {
    fc.assert(
      fc.property(decimalArb, (text) => {
        assert.equal(micros(parseUsd(text, MAX_LIMIT_MICROS)), Number(referenceMicros(text)));
      }),
      { numRuns: 5000 },
    );
  });

  test('exponent forms equal the plain decimal they denote', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: -25, max: 3 }),
        (mantissa, exp) => {
          const plain =
            exp >= 0
              ? `${mantissa}${'0'.repeat(exp)}`
              : (() => {
                  const digits = String(mantissa).padStart(-exp + 1, '0');
                  return `${digits.slice(0, exp)}.${digits.slice(exp)}`;
                })();
          assert.deepEqual(
            parseUsd(`${mantissa}e${exp}`, MAX_LIMIT_MICROS),
            parseUsd(plain.length <= 40 ? plain : plain.replace(/0+$/, ''), MAX_LIMIT_MICROS),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('formatUsd and parseUsd round-trip', () => {
    fc.assert(
      fc.property(microsArb, (m) => {
        const text = formatUsd(Number(m));
        assert.match(text, /^[0-9]+\.[0-9]{6}$/);
        assert.equal(micros(parseUsd(text, MAX_LIMIT_MICROS)), Number(m));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(decimalArb, (text) => {
        const m = micros(parseUsd(text, MAX_LIMIT_MICROS));
        assert.equal(formatUsd(m), referenceFormat(referenceMicros(text)));
        assert.equal(micros(parseUsd(formatUsd(m), MAX_LIMIT_MICROS)), m);
      }),
      { numRuns: 2000 },
    );
  });

  test('formatUsd is exact for every safe integer, negative included', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (m) => {
        assert.equal(formatUsd(m), referenceFormat(BigInt(m)));
      }),
      { numRuns: 3000 },
    );
  });

  test('parsers never return a negative, fractional or over-maximum amount', () => {
    const anyInput = fc.oneof(
      fc.anything(),
      fc.double(),
      fc.string(),
      decimalArb,
      fc.string({ unit: fc.constantFrom(...'0123456789.eE+- '), maxLength: 45 }),
    );
    fc.assert(
      fc.property(anyInput, fc.integer({ min: 0, max: 2_000_000_000 }), (value, max) => {
        for (const result of [parseUsd(value, max), parseMicros(value, max)]) {
          if (result.ok) {
            assert.ok(Number.isSafeInteger(result.micros), `integer: ${result.micros}`);
            assert.ok(result.micros >= 0 && result.micros <= max, `in range: ${result.micros}`);
            assert.ok(!Object.is(result.micros, -0));
          } else {
            assert.ok(result.problem.length > 0);
          }
        }
      }),
      { numRuns: 5000 },
    );
  });
});
