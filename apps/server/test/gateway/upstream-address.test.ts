// Which addresses a gateway upstream may be, and which base_urls a provider may be saved with (SPEC §12).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBaseUrl, isPublicAddress } from '../../src/gateway/upstream-address.js';

/** Each refused range: its first, a middle and its last address. */
const REFUSED_V4: Array<[string, string[]]> = [
  ['0.0.0.0/8', ['0.0.0.0', '0.1.2.3', '0.255.255.255']],
  ['10/8', ['10.0.0.0', '10.0.0.5', '10.255.255.255']],
  ['100.64/10 CGNAT', ['100.64.0.0', '100.100.100.100', '100.127.255.255']],
  ['127/8', ['127.0.0.1', '127.1.2.3', '127.255.255.255']],
  ['169.254/16 link-local', ['169.254.0.0', '169.254.169.254', '169.254.255.255']],
  ['172.16/12', ['172.16.0.0', '172.20.1.1', '172.31.255.255']],
  ['192.0.0/24', ['192.0.0.0', '192.0.0.8', '192.0.0.255']],
  ['192.0.2/24', ['192.0.2.0', '192.0.2.1', '192.0.2.255']],
  ['192.88.99/24', ['192.88.99.0', '192.88.99.1', '192.88.99.255']],
  ['192.168/16', ['192.168.0.0', '192.168.1.1', '192.168.255.255']],
  ['198.18/15', ['198.18.0.0', '198.19.0.1', '198.19.255.255']],
  ['198.51.100/24', ['198.51.100.0', '198.51.100.7', '198.51.100.255']],
  ['203.0.113/24', ['203.0.113.0', '203.0.113.9', '203.0.113.255']],
  ['224/4 multicast', ['224.0.0.0', '239.1.2.3', '239.255.255.255']],
  ['240/4 reserved', ['240.0.0.0', '250.1.2.3', '255.255.255.254']],
  ['broadcast', ['255.255.255.255']],
];

const REFUSED_V6: Array<[string, string[]]> = [
  ['::/128', ['::', '0:0:0:0:0:0:0:0']],
  ['::1/128', ['::1', '0:0:0:0:0:0:0:1']],
  ['fc00::/7 ULA', ['fc00::', 'fd00::1', 'fd00:ec2::254', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['fe80::/10 link-local', ['fe80::', 'fe80::1', 'fe80::1%eth0', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['fec0::/10 site-local', ['fec0::', 'fec0::1', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['ff00::/8 multicast', ['ff00::', 'ff02::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['2001:db8::/32 documentation', ['2001:db8::', '2001:db8::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']],
  ['100::/64 discard', ['100::', '100::1', '100::ffff:ffff:ffff:ffff']],
  // Beyond the brief's list: deprecated or non-global forms that are no public upstream either.
  ['::/96 IPv4-compatible', ['::7f00:1', '::8.8.8.8']],
  ['64:ff9b:1::/48 local NAT64', ['64:ff9b:1::a00:1']],
  ['2001::/32 Teredo', ['2001:0:4136:e378:8000:63bf:3fff:fdd2']],
  ['outside 2000::/3', ['4000::1', '1::1']],
];

/** Private IPv4 addresses wrapped in the IPv6 forms that carry an IPv4 address. */
const EMBEDDED_PRIVATE = [
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::FFFF:10.0.0.5',
  '::ffff:169.254.169.254',
  '::ffff:a9fe:a9fe',
  '0:0:0:0:0:ffff:192.168.1.1',
  '::ffff:0:10.0.0.5', // SIIT translated
  '64:ff9b::127.0.0.1',
  '64:ff9b::a9fe:a9fe',
  '64:ff9b::10.0.0.5',
  '2002:7f00:1::', // 6to4 of 127.0.0.1
  '2002:a9fe:a9fe::1', // 6to4 of 169.254.169.254
  '2002:c0a8:101:1::1', // 6to4 of 192.168.1.1
];

const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '9.9.9.9',
  '100.63.255.255', // just below CGNAT
  '100.128.0.0', // just above CGNAT
  '172.15.255.255', // just below 172.16/12
  '172.32.0.0', // just above
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255', // just below multicast
  '2606:4700::1111',
  '2001:4860:4860::8888',
  '::ffff:8.8.8.8', // mapped public
  '64:ff9b::1.1.1.1', // NAT64 of a public address
  '2002:808:808::1', // 6to4 of 8.8.8.8
];

describe('isPublicAddress', () => {
  for (const [range, addresses] of [...REFUSED_V4, ...REFUSED_V6]) {
    it(`refuses ${range}`, () => {
      for (const ip of addresses) assert.equal(isPublicAddress(ip), false, ip);
    });
  }

  it('judges IPv4-mapped, SIIT, NAT64 and 6to4 addresses by the IPv4 address they carry', () => {
    for (const ip of EMBEDDED_PRIVATE) assert.equal(isPublicAddress(ip), false, ip);
  });

  it('accepts public addresses, including the edges around refused ranges', () => {
    for (const ip of PUBLIC) assert.equal(isPublicAddress(ip), true, ip);
  });

  it('is false for anything that is not an IP address', () => {
    for (const text of [
      '',
      'localhost',
      'api.openai.com',
      '8.8.8',
      '127.1',
      '256.1.1.1',
      '::g',
      '[::1]',
      ' 8.8.8.8',
    ]) {
      assert.equal(isPublicAddress(text), false, JSON.stringify(text));
    }
  });
});

describe('checkBaseUrl', () => {
  const ok = (raw: string, allowPrivate: boolean) => {
    const result = checkBaseUrl(raw, allowPrivate);
    assert.ok(result.ok, `${raw}: ${result.ok ? '' : result.problem}`);
    return result.url;
  };
  const problem = (raw: string, allowPrivate: boolean) => {
    const result = checkBaseUrl(raw, allowPrivate);
    assert.ok(!result.ok, `${raw} was accepted`);
    return result.problem;
  };

  it("accepts the providers' public APIs and returns the parsed URL", () => {
    assert.equal(ok('https://api.openai.com/v1', false).href, 'https://api.openai.com/v1');
    assert.equal(ok('https://api.anthropic.com', false).href, 'https://api.anthropic.com/');
    assert.equal(ok('https://proxy.example.com:8443/openai/v1/', false).port, '8443');
    assert.equal(ok('https://8.8.8.8/v1', false).hostname, '8.8.8.8');
    assert.equal(ok('https://[2606:4700::1111]/v1', false).hostname, '[2606:4700::1111]');
  });

  it('must be an absolute URL', () => {
    for (const raw of ['', 'api.openai.com/v1', '/v1', 'https://', 'not a url']) {
      assert.match(problem(raw, false), /must be an absolute URL/, raw);
      assert.match(problem(raw, true), /must be an absolute URL/, raw);
    }
  });

  it('must use https, unless private upstreams are allowed (then http too)', () => {
    assert.equal(problem('http://api.openai.com/v1', false), 'must use https');
    assert.equal(ok('http://api.openai.com/v1', true).protocol, 'http:');
    for (const raw of [
      'ftp://api.openai.com',
      'file:///etc/passwd',
      'ws://api.openai.com',
      'javascript:alert(1)',
    ]) {
      assert.equal(problem(raw, false), 'must use https', raw);
      assert.equal(problem(raw, true), 'must use http or https', raw);
    }
  });

  it('must not carry a username or password', () => {
    for (const raw of [
      'https://user@api.openai.com/v1',
      'https://user:pw@api.openai.com/v1',
      'https://:pw@x.com',
    ]) {
      assert.match(problem(raw, false), /must not contain a username or password/, raw);
      assert.match(problem(raw, true), /must not contain a username or password/, raw);
    }
  });

  it('must not carry a query or fragment (the gateway appends paths to it)', () => {
    for (const raw of [
      'https://api.openai.com/v1?x=1',
      'https://api.openai.com/v1?',
      'https://a.com/v1#f',
      'https://a.com/#',
    ]) {
      assert.equal(problem(raw, false), 'must not contain a query or fragment', raw);
      assert.equal(problem(raw, true), 'must not contain a query or fragment', raw);
    }
  });

  it('must not be a private, loopback or reserved IP literal or a localhost name, unless private upstreams are allowed', () => {
    const inside = [
      'https://127.0.0.1/v1',
      'https://127.0.0.1:11434/v1',
      'https://2130706433/', // 127.0.0.1 as one number
      'https://0x7f.1/', // 127.0.0.1 in hex shorthand
      'https://10.0.0.5/',
      'https://169.254.169.254/latest/meta-data',
      'https://192.168.1.1./',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[fd00:ec2::254]/',
      'https://[64:ff9b::169.254.169.254]/',
      'https://localhost/',
      'https://LOCALHOST./v1',
      'https://api.localhost/',
    ];
    for (const raw of inside) {
      assert.equal(problem(raw, false), 'must not point to a private, loopback or reserved address', raw);
    }
    for (const raw of [...inside, ...inside.map((u) => u.replace('https:', 'http:'))]) ok(raw, true);
  });

  it('leaves names to the connect-time check (a name is not resolved here)', () => {
    // internal.example may resolve anywhere; the dispatcher checks what it resolves to on every connection.
    ok('https://internal.example/v1', false);
  });
});
