import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFirewallRules } from './firewall-rules.js';
import { UsageError } from '../core/errors.js';

test('firewall rules one queue', () => {
  const text = formatFirewallRules({ queues: [3], inInterface: null });
  assert.match(text, /^    queue num 3 bypass$/m);
  assert.match(text, /^iptables-nft -I FORWARD -j NFQUEUE --queue-num 3 --queue-bypass$/m);
  assert.match(text, /^ip6tables-nft -I FORWARD -j NFQUEUE --queue-num 3 --queue-bypass$/m);
  assert.doesNotMatch(text, /fanout/);
});

test('firewall rules balance several queues', () => {
  const text = formatFirewallRules({ queues: [2, 0, 1], inInterface: 'eth1' });
  assert.match(text, /^    iifname "eth1" queue num 0-2 bypass$/m);
  assert.match(text, /^    oifname "eth1" queue num 0-2 bypass$/m);
  assert.match(text, /^iptables-nft -I FORWARD -i eth1 -j NFQUEUE --queue-balance 0:2 --queue-bypass$/m);
  assert.match(text, /^iptables-nft -I FORWARD -o eth1 -j NFQUEUE --queue-balance 0:2 --queue-bypass$/m);
  assert.match(text, /^ip6tables-nft -I FORWARD -i eth1 -j NFQUEUE --queue-balance 0:2 --queue-bypass$/m);
  assert.match(text, /^ip6tables-nft -I FORWARD -o eth1 -j NFQUEUE --queue-balance 0:2 --queue-bypass$/m);
  assert.match(text, /kapu run -q 0 -q 1 -q 2$/m);
  assert.doesNotMatch(text, /fanout/);
});

test('firewall rules reject queue gaps', () => {
  assert.throws(() => formatFirewallRules({ queues: [0, 2], inInterface: null }), UsageError);
});

test('firewall rules reject bad interface', () => {
  assert.throws(() => formatFirewallRules({ queues: [0], inInterface: 'eth0; rm' }), UsageError);
  assert.throws(() => formatFirewallRules({ queues: [0], inInterface: 'a-name-of-16-byt' }), UsageError);
});
