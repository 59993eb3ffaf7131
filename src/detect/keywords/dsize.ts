import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'dsize',
  description: 'Compares the payload size of the packet, in bytes.',
  docsAnchor: 'payload-keywords.html#dsize',
  field: PacketField.PAYLOAD_SIZE,
  max: 65535,
  isOncePerRule: true,
});
