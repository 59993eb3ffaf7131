import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'id',
  description: 'Compares the IPv4 identification field.',
  docsAnchor: 'header-keywords.html#id',
  field: PacketField.IP_ID,
  max: 65535,
});
