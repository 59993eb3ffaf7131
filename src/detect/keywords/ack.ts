import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'ack',
  description: 'Compares the TCP acknowledgement number.',
  docsAnchor: 'header-keywords.html#ack',
  field: PacketField.TCP_ACK,
  max: 4294967295,
});
