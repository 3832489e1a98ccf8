/**
 * server/transport/tcp.ts clientKey: what one client is for the per-client TCP connection limit.
 */
import assert from 'node:assert/strict';
import { clientKey } from '../../../server/transport/tcp.js';

describe('transport/tcp clientKey', () => {
  it('is the address for IPv4, also when IPv4-mapped', () => {
    assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
    assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.notEqual(clientKey('192.0.2.7'), clientKey('192.0.2.8'));
  });

  it('is the /64 for IPv6, however the address is written', () => {
    assert.equal(clientKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:ffff:eeee:dddd:cccc'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002::99'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:DB8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64%eth0');
    assert.notEqual(clientKey('fe80::1%eth0'), clientKey('fe80::1%eth1'));
    assert.equal(clientKey('2001:db8::'), '2001:db8:0:0::/64');
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
  });
});
