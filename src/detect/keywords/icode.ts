import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'icode',
  description: 'Compares the ICMP or ICMPv6 code.',
  docsAnchor: 'header-keywords.html#icode',
  field: PacketField.ICMP_CODE,
  max: 255,
});
