/**
 * `pkt_data`: makes later payload keywords inspect the packet payload
 * again, after a sticky buffer. Suricata: rules/payload-keywords.html#pkt-data.
 */
import type { KeywordDef, SignatureBuilder } from '../signature.js';

/** Canonical name of the packet payload buffer. */
export const PKT_DATA = 'pkt_data';

export const pktDataKeyword: KeywordDef = {
  name: 'pkt_data',
  description: 'inspect the packet payload with the keywords that follow',
  docsAnchor: 'payload-keywords.html#pkt-data',
  value: 'none',
  setup(b: SignatureBuilder): void {
    b.selectBuffer(PKT_DATA);
  },
};
