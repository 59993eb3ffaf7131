import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'window',
  description: 'Compares the TCP window field.',
  docsAnchor: 'header-keywords.html#window',
  field: PacketField.TCP_WINDOW,
  max: 65535,
});
