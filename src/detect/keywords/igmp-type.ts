import { PacketField, registerUintKeyword } from './header-uint.js';

registerUintKeyword({
  name: 'igmp.type',
  description: 'Compares the IGMP message type (Suricata 9).',
  docsAnchor: 'header-keywords.html#igmp-type',
  field: PacketField.IGMP_TYPE,
  max: 255,
});
