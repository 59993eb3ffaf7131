import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'ttl',
  description: 'Compares the IPv4 TTL or the IPv6 hop limit.',
  docsAnchor: 'header-keywords.html#ttl',
  field: PacketField.TTL,
  max: 255,
});
