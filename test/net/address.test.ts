import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  numberToIpv4,
  ipv4ToNumber,
  parseIpAddress,
  parseIpv4,
  parseSubnet,
  podAddressCount,
  subnetContains,
  tryParseIpv4,
} from '../../src/net/index.js';

describe('IPv4 addresses', () => {
  it('accepts canonical dotted quads and round-trips them through numbers', () => {
    for (const text of ['0.0.0.0', '10.0.0.1', '172.16.28.254', '255.255.255.255']) {
      const ip = parseIpv4(text);
      assert.equal(numberToIpv4(ipv4ToNumber(ip)), text);
    }
    assert.equal(ipv4ToNumber(parseIpv4('1.2.3.4')), 0x01020304);
  });

  it('rejects malformed addresses with ERR_NET_INVALID_IP naming the field', () => {
    for (const text of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '010.0.0.1', '1.2.3.-1', ' 1.2.3.4', '1..2.3', 'a.b.c.d']) {
      assert.equal(tryParseIpv4(text), undefined, text);
      assert.throws(() => parseIpv4(text, 'host IP'), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ERR_NET_INVALID_IP');
        assert.match(e.message, /^host IP ".*" is not a valid IPv4 address$/);
        return true;
      });
    }
  });

  it('accepts IPv6 where either family is allowed', () => {
    assert.equal(parseIpAddress('::1'), '::1');
    assert.equal(parseIpAddress('2001:db8::7'), '2001:db8::7');
    assert.throws(() => parseIpAddress('2001:db8:::7', 'dns server'), { code: 'ERR_NET_INVALID_IP', message: /dns server "2001:db8:::7"/ });
  });
});

describe('subnets', () => {
  it('parses the default subnet with gateway = first address', () => {
    const s = parseSubnet('172.16.28.0/24');
    assert.deepEqual(
      { ...s },
      {
        cidr: '172.16.28.0/24',
        network: '172.16.28.0',
        prefixLength: 24,
        gateway: '172.16.28.1',
        firstPodAddress: '172.16.28.2',
        lastPodAddress: '172.16.28.254',
      },
    );
    assert.equal(podAddressCount(s), 253);
    assert.equal(podAddressCount(parseSubnet('10.1.0.0/30')), 1);
    assert.equal(podAddressCount(parseSubnet('10.0.0.0/16')), 65533);
  });

  it('knows which addresses it contains', () => {
    const s = parseSubnet('10.1.2.0/23');
    assert.ok(subnetContains(s, parseIpv4('10.1.3.255')));
    assert.ok(subnetContains(s, parseIpv4('10.1.2.0')));
    assert.ok(!subnetContains(s, parseIpv4('10.1.4.0')));
    assert.ok(!subnetContains(s, parseIpv4('10.1.1.255')));
  });

  const bad: [string, RegExp][] = [
    ['172.16.28.0', /has no prefix length/],
    ['172.16.28/24', /does not start with a valid IPv4 address/],
    ['172.16.28.0/33', /invalid prefix length/],
    ['172.16.28.0/024', /invalid prefix length/],
    ['172.16.28.0/', /invalid prefix length/],
    ['172.16.28.0/31', /too small/],
    ['172.16.28.0/32', /too small/],
    ['10.0.0.0/4', /too large/],
    ['127.0.0.0/8', /loopback/],
    ['224.0.0.0/24', /multicast/],
    ['0.0.0.0/8', /unspecified/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)} with ERR_NET_INVALID_CIDR`, () => {
      assert.throws(() => parseSubnet(text), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ERR_NET_INVALID_CIDR');
        assert.ok(e.message.startsWith(`subnet ${JSON.stringify(text)} `), e.message);
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('suggests the network address when host bits are set', () => {
    assert.throws(() => parseSubnet('172.16.28.5/24'), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'ERR_NET_INVALID_CIDR');
      assert.match(e.message, /has host bits set/);
      assert.equal(e.hint, 'did you mean 172.16.28.0/24?');
      return true;
    });
  });
});
