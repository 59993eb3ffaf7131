import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'itype',
  description: 'Compares the ICMP or ICMPv6 type.',
  docsAnchor: 'header-keywords.html#itype',
  field: PacketField.ICMP_TYPE,
  max: 255,
});
