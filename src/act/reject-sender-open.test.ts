import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNativeAddonBuilt } from '../capture/native-addon.js';
import { RawRejectSender, SEND_UNAVAILABLE_ERRNO, UnavailableRejectSender, openRejectSender } from './reject-sender.js';

const EINVAL = 22;
const EBADF = 9;

describe('openRejectSender', () => {
  it('falls back without the addon', () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const log = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) };
    const sender = openRejectSender(log, { addonPath: '/nonexistent/kapu_native.node' });
    assert.ok(sender instanceof UnavailableRejectSender);
    assert.equal(sender.send(new Uint8Array(40), 40), SEND_UNAVAILABLE_ERRNO);
    assert.equal(sender.send(new Uint8Array(40), 40), SEND_UNAVAILABLE_ERRNO);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.message, 'reject responses will not be sent');
    assert.match(String(warnings[0]?.fields.reason), /not built/);
  });
});

const rawSkip = process.getuid?.() !== 0 ? 'needs root for raw sockets'
  : !isNativeAddonBuilt() ? 'native addon not built (node scripts/build-native.js)' : false;

describe('RawRejectSender', { skip: rawSkip }, () => {
  it('invalid packets return EINVAL', () => {
    const sender = new RawRejectSender();
    try {
      const packet = new Uint8Array(40);
      // Version 5 is neither IPv4 nor IPv6.
      packet[0] = 0x50;
      assert.equal(sender.send(packet, 40), EINVAL);
      packet[0] = 0x45;
      // Shorter than an IPv4 header.
      assert.equal(sender.send(packet, 10), EINVAL);
      // Longer than the buffer.
      assert.equal(sender.send(packet, 41), EINVAL);
      packet[0] = 0x60;
      // Shorter than an IPv6 header.
      assert.equal(sender.send(packet, 30), EINVAL);
    } finally {
      sender.close();
    }
  });

  it('send after close returns EBADF', () => {
    const sender = new RawRejectSender();
    sender.close();
    const packet = new Uint8Array(40);
    packet[0] = 0x45;
    assert.equal(sender.send(packet, 40), EBADF);
  });
});
