import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'fragoffset',
  description: 'Compares the IP fragment offset field, in 8-byte units.',
  docsAnchor: 'header-keywords.html#fragoffset',
  field: PacketField.FRAG_OFFSET,
  max: 8191,
});
