import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { runOptionsFromFlags } from './main.js';

/** Returns the flags that commander passes to `run` when only `source` is given. */
function flagsWith(source: Record<string, string>): Record<string, unknown> {
  return { set: [], rules: [], addRules: [], ...source };
}

test('run flags -r and -i together', () => {
  assert.throws(() => runOptionsFromFlags(flagsWith({ read: 'a.pcap', interface: 'eth0' })), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /-r .* and -i .* exclude each other/);
    return true;
  });
});

test('run flags without a source', () => {
  assert.throws(() => runOptionsFromFlags(flagsWith({})), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /missing packet source/);
    return true;
  });
});

test('run flags with -i only', () => {
  const options = runOptionsFromFlags(flagsWith({ interface: 'eth0' }));
  assert.equal(options.pcapPath, '');
  assert.equal(options.mode, null);
});

test('run flags with -r only', () => {
  const options = runOptionsFromFlags(flagsWith({ read: 'a.pcap', mode: 'ips' }));
  assert.equal(options.pcapPath, 'a.pcap');
  assert.equal(options.mode, 'ips');
});
