import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'icmp_seq',
  description: 'Compares the sequence number of ICMP echo, timestamp, information and address mask messages.',
  docsAnchor: 'header-keywords.html#icmp-seq',
  field: PacketField.ICMP_SEQ,
  max: 65535,
});
