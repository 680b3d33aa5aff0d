import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { currentHostNetns, parsePortForward } from '../../src/net/index.js';
import { findListenerClash, parseProcNetSockets, readHostListeners } from '../../src/net/proc-net.js';

const TCP_SAMPLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0
   2: 0100007F:1F91 0100007F:A0B2 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 100 0 0 10 0
`;
const TCP6_SAMPLE = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 100 0 0 10 0
   2: 00000000000000000000000001000000:0052 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0 100 0 0 10 0
`;

describe('/proc/net listeners', () => {
  it('decodes listening IPv4 sockets and skips connected ones (little-endian words)', () => {
    assert.deepEqual(parseProcNetSockets(TCP_SAMPLE, 'tcp'), [
      { protocol: 'tcp', address: '127.0.0.1', ipv4: '127.0.0.1', port: 8080 },
      { protocol: 'tcp', address: '0.0.0.0', ipv4: '0.0.0.0', port: 22 },
    ]);
  });

  it('maps IPv6 any and v4-mapped sockets to the IPv4 addresses they receive', () => {
    const listeners = parseProcNetSockets(TCP6_SAMPLE, 'tcp');
    assert.deepEqual(listeners.map((l) => [l.address, l.ipv4, l.port]), [
      ['::', '0.0.0.0', 80],
      ['0:0:0:0:0:ffff:7f00:1', '127.0.0.1', 81],
      ['0:0:0:0:0:0:0:1', undefined, 82],
    ]);
  });

  it('finds the listener a forward would steal from', () => {
    const listeners = parseProcNetSockets(TCP_SAMPLE, 'tcp');
    assert.equal(findListenerClash(parsePortForward({ hostPort: 8080, podPort: 80 }), listeners)?.address, '127.0.0.1');
    assert.equal(findListenerClash(parsePortForward({ hostIP: '10.0.0.1', hostPort: 8080, podPort: 80 }), listeners), undefined);
    assert.equal(findListenerClash(parsePortForward({ hostIP: '10.0.0.1', hostPort: 22, podPort: 80 }), listeners)?.port, 22);
    assert.equal(findListenerClash(parsePortForward({ protocol: 'udp', hostPort: 22, podPort: 80 }), listeners), undefined);
  });

  it('sees real loopback TCP and UDP sockets of this process', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const udp = createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
    try {
      const tcpPort = (server.address() as AddressInfo).port;
      const udpPort = udp.address().port;
      const tcp = await readHostListeners(currentHostNetns(), 'tcp');
      assert.ok(tcp.some((l) => l.port === tcpPort && l.ipv4 === '127.0.0.1'), `tcp ${tcpPort} not found`);
      const udpListeners = await readHostListeners(currentHostNetns(), 'udp');
      assert.ok(udpListeners.some((l) => l.port === udpPort && l.ipv4 === '127.0.0.1'), `udp ${udpPort} not found`);
    } finally {
      server.close();
      udp.close();
    }
  });
});
