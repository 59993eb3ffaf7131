/**
 * Suricata 8's names for the TCP number keywords: `tcp.seq`, `tcp.ack` and
 * `tcp.window`, which Suricata registers with `seq`, `ack` and `window` as
 * aliases. They compare the same fields with the same integer syntax as
 * seq.ts, ack.ts and window.ts.
 */
import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'tcp.seq',
  description: 'Compares the TCP sequence number (the name of seq since Suricata 8).',
  docsAnchor: 'header-keywords.html#seq',
  field: PacketField.TCP_SEQ,
  max: 4294967295,
});

registerUintKeyword({
  name: 'tcp.ack',
  description: 'Compares the TCP acknowledgement number (the name of ack since Suricata 8).',
  docsAnchor: 'header-keywords.html#ack',
  field: PacketField.TCP_ACK,
  max: 4294967295,
});

registerUintKeyword({
  name: 'tcp.window',
  description: 'Compares the TCP window field (the name of window since Suricata 8).',
  docsAnchor: 'header-keywords.html#window',
  field: PacketField.TCP_WINDOW,
  max: 65535,
});
