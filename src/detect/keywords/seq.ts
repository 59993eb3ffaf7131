import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'seq',
  description: 'Compares the TCP sequence number.',
  docsAnchor: 'header-keywords.html#seq',
  field: PacketField.TCP_SEQ,
  max: 4294967295,
});
