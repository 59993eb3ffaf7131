import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'icmp_id',
  description: 'Compares the identifier of ICMP echo, timestamp, information and address mask messages.',
  docsAnchor: 'header-keywords.html#icmp-id',
  field: PacketField.ICMP_ID,
  max: 65535,
});
