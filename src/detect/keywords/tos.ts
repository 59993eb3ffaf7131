import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'tos',
  description: 'Compares the IPv4 type-of-service byte.',
  docsAnchor: 'header-keywords.html#tos',
  field: PacketField.TOS,
  max: 255,
});
