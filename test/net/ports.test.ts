import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeHostPort, parsePortForward, portsClash } from '../../src/net/index.js';

describe('port forwards', () => {
  it('parses forwards with defaults: tcp, all host addresses', () => {
    assert.deepEqual(parsePortForward({ hostPort: 8080, podPort: '80' }), { protocol: 'tcp', hostPort: 8080, podPort: 80 });
    assert.deepEqual(parsePortForward({ protocol: 'UDP', hostIP: '0.0.0.0', hostPort: '53', podPort: 53 }), {
      protocol: 'udp',
      hostPort: 53,
      podPort: 53,
    });
    assert.deepEqual(parsePortForward({ hostIP: '127.0.0.1', hostPort: 1, podPort: 65535 }), {
      protocol: 'tcp',
      hostIP: '127.0.0.1',
      hostPort: 1,
      podPort: 65535,
    });
  });

  it('rejects bad protocols, ports and host IPs', () => {
    assert.throws(() => parsePortForward({ protocol: 'sctp', hostPort: 1, podPort: 1 }), {
      code: 'ERR_NET_INVALID_PORT',
      message: 'port protocol "sctp" is not supported',
    });
    for (const port of [0, 65536, -1, 1.5, '80a', '', '123456']) {
      assert.throws(() => parsePortForward({ hostPort: port, podPort: 80 }), { code: 'ERR_NET_INVALID_PORT', message: /^host port/ });
      assert.throws(() => parsePortForward({ hostPort: 80, podPort: port }), { code: 'ERR_NET_INVALID_PORT', message: /^pod port/ });
    }
    assert.throws(() => parsePortForward({ hostIP: 'localhost', hostPort: 80, podPort: 80 }), {
      code: 'ERR_NET_INVALID_IP',
      message: 'host IP "localhost" is not a valid IPv4 address',
    });
  });

  it('clashes on the same protocol and port unless both name different host IPs', () => {
    const any = parsePortForward({ hostPort: 8080, podPort: 80 });
    const lo = parsePortForward({ hostIP: '127.0.0.1', hostPort: 8080, podPort: 80 });
    const other = parsePortForward({ hostIP: '10.0.0.1', hostPort: 8080, podPort: 81 });
    const udp = parsePortForward({ protocol: 'udp', hostPort: 8080, podPort: 80 });
    assert.ok(portsClash(any, lo));
    assert.ok(portsClash(lo, lo));
    assert.ok(!portsClash(lo, other));
    assert.ok(!portsClash(any, udp));
    assert.ok(!portsClash(any, parsePortForward({ hostPort: 8081, podPort: 80 })));
    assert.equal(describeHostPort(lo), 'tcp/127.0.0.1:8080');
    assert.equal(describeHostPort(udp), 'udp/8080');
  });
});
