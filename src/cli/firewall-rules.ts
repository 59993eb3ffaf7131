/**
 * `kapu firewall-rules`: the rules that send forwarded traffic to kapu's
 * NFQUEUE queues, in nftables form and in iptables-nft form. Kernels
 * built without nftables' queue statement (nft_queue) reject the first
 * form, while the second, the xt NFQUEUE target, also works there.
 */
import { UsageError } from '../core/errors.js';

/** Options of formatFirewallRules. */
export interface FirewallRuleOptions {
  /** Queue numbers; several must form one range, such as 0, 1, 2. */
  queues: number[];
  /**
   * Interface whose forwarded packets are queued, in both directions (in
   * on it, or out on it), or null for all forwarded packets.
   */
  inInterface: string | null;
}

/** Linux interface names: at most 15 bytes (IFNAMSIZ minus the NUL), no slash, colon or space. */
const INTERFACE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;

/**
 * Renders the queue rules for the forward path. They always carry
 * `bypass`, so traffic flows while no kapu is bound to a queue. Several
 * queues are balanced by the kernel's flow hash, which keeps each flow on
 * one queue; CPU fan-out is never used, because it splits a flow across
 * queues and reorders its packets. Throws UsageError for queues that do
 * not form one range or a bad interface name.
 */
export function formatFirewallRules(options: FirewallRuleOptions): string {
  const queues = [...options.queues].sort((a, b) => a - b);
  const first = queues[0];
  const last = queues[queues.length - 1];
  if (first === undefined || last === undefined) throw new UsageError('firewall-rules needs at least one queue (-q NUM)');
  if (last - first !== queues.length - 1) {
    throw new UsageError(`queues ${queues.join(', ')} do not form one range; the kernel balances over a range such as ${first} to ${first + queues.length - 1}`);
  }
  const iface = options.inInterface;
  if (iface !== null && !INTERFACE_NAME.test(iface)) {
    throw new UsageError(`--iface '${iface}' is not an interface name (expected 1 to 15 letters, digits or . _ @ -)`);
  }

  const isBalanced = queues.length > 1;
  const nftQueue = isBalanced ? `queue num ${first}-${last} bypass` : `queue num ${first} bypass`;
  const xtTarget = isBalanced ? `-j NFQUEUE --queue-balance ${first}:${last} --queue-bypass` : `-j NFQUEUE --queue-num ${first} --queue-bypass`;
  // kapu needs both directions of a connection, so an interface gets one rule for each.
  const nftMatches = iface === null ? [''] : [`iifname "${iface}" `, `oifname "${iface}" `];
  const xtMatches = iface === null ? [''] : [`-i ${iface} `, `-o ${iface} `];

  const lines = [
    '# nftables (needs the kernel module nft_queue):',
    'table inet kapu {',
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    ...nftMatches.map((match) => `    ${match}${nftQueue}`),
    '  }',
    '}',
    '',
    '# iptables-nft (the xt NFQUEUE target; works where nft_queue is missing):',
    ...xtMatches.map((match) => `iptables-nft -I FORWARD ${match}${xtTarget}`),
    ...xtMatches.map((match) => `ip6tables-nft -I FORWARD ${match}${xtTarget}`),
  ];
  if (isBalanced) {
    lines.push(
      '',
      '# The kernel picks the queue by a hash of the packet\'s addresses, so the',
      '# packets between two hosts always go to the same queue. Bind every queue:',
      `#   kapu run ${queues.map((q) => `-q ${q}`).join(' ')}`,
    );
  }
  return lines.join('\n') + '\n';
}
