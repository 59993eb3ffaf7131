import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { queuesFromFlags, runOptionsFromFlags } from './main.js';

/** Returns the flags that commander passes to `run` with `extra` set. */
function flagsWith(extra: Record<string, unknown>): Record<string, unknown> {
  return { set: [], rules: [], addRules: [], queue: [], ...extra };
}

test('run flags with -q only', () => {
  const options = runOptionsFromFlags(flagsWith({ queue: ['0'] }));
  assert.equal(options.pcapPath, '');
  assert.equal(options.mode, null);
});

test('run flags -r and -q together', () => {
  assert.throws(() => runOptionsFromFlags(flagsWith({ read: 'a.pcap', queue: ['0'] })), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, '-r (read a capture file) and -q (run in-line on NFQUEUE) exclude each other; give one of them');
    return true;
  });
});

test('run flags all three sources', () => {
  assert.throws(() => runOptionsFromFlags(flagsWith({ read: 'a.pcap', interface: 'eth0', queue: ['0'] })), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, '-r (read a capture file), -i (capture on an interface) and -q (run in-line on NFQUEUE) exclude each other; give one of them');
    return true;
  });
});

test('queue flags bad numbers', () => {
  for (const value of ['x', '-1', '65536', '1.5', '']) {
    assert.throws(() => queuesFromFlags({ queue: [value] }), UsageError, `'${value}'`);
  }
  assert.throws(() => queuesFromFlags({ queue: ['3', '3'] }), /given twice/);
});

test('queue flags range ends', () => {
  assert.deepEqual(queuesFromFlags({ queue: ['0', '65535'] }), [0, 65535]);
  assert.deepEqual(queuesFromFlags({}), []);
});
