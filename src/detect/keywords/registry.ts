/**
 * The keyword registry. Each keyword module registers itself when it is
 * imported, so adding a keyword is one import line below. The parser looks
 * names up in KEYWORDS. SURICATA_KEYWORD_NAMES separates keywords that kapu
 * does not run yet from unknown ones.
 */
export { KEYWORDS, registerKeyword } from './keyword-table.js';
export { APP_LAYER_PROTOCOLS, SURICATA_KEYWORD_NAMES } from './suricata-keywords.js';

// Meta keywords.
import './msg.js';
import './sid.js';
import './rev.js';
import './gid.js';
import './classtype.js';
import './priority.js';
import './reference.js';
import './metadata.js';
import './target.js';
import './noalert.js';
import './alert.js';
import './prefilter.js';

// Flow state, thresholds and tagging.
import './flow.js';
import './flowbits.js';
import './threshold.js';
import './detection-filter.js';
import './tag.js';

// IP, TCP and ICMP header keywords.
import './ttl.js';
import './ip-proto.js';
import './id.js';
import './tos.js';
import './fragbits.js';
import './fragoffset.js';
import './sameip.js';
import './ipopts.js';
import './window.js';
import './seq.js';
import './ack.js';
import './flags.js';
import './itype.js';
import './icode.js';
import './icmp-id.js';
import './icmp-seq.js';
import './dsize.js';
import './checksum.js';

// Payload keywords, decoder and stream events: these modules export their
// definitions, and are registered here.
import { registerKeyword as register } from './keyword-table.js';
import { PAYLOAD_KEYWORDS } from './payload-keywords.js';
import { decodeEventKeyword } from './decode-event.js';
import { streamEventKeyword } from './stream-event.js';
import { streamSizeKeyword } from './stream-size.js';

for (const def of [...PAYLOAD_KEYWORDS, decodeEventKeyword, streamEventKeyword, streamSizeKeyword]) register(def);

// Host, address-pair and flow variables.
import './hostbits.js';
import './xbits.js';
import './flowint.js';

// Header sticky buffers, VLAN tags, TCP MSS, ICMPv6 MTU, flow counters and
// `requires`.
import './header-sticky.js';
import './vlan.js';
import './tcp-options.js';
import './icmpv6-mtu.js';
import './flow-counters.js';
import './requires.js';
import './tcp-number-names.js';

// ---------------------------------------------------------------------------
// Application-layer keywords of DNS, TLS (with JA3, JA3S, JA4) and SSH. Their
// definitions live beside the parsers in src/app/<proto>/detect.ts.
// The names they register:
//   dns.query dns_query dns.queries.rrname dns.query.name dns.answers.rrname
//   dns.answer.name dns.authorities.rrname dns.additionals.rrname
//   dns.response.rrname
//   dns.opcode dns.rcode dns.rrtype
//   tls.sni tls_sni tls.certs tls.cert_subject tls_cert_subject
//   tls.cert_issuer tls_cert_issuer tls.cert_serial tls_cert_serial
//   tls.cert_fingerprint tls_cert_fingerprint tls.subjectaltname tls.alpn
//   tls.random tls.random_time tls.random_bytes tls.version tls.cert_chain_len
//   ja3.hash ja3_hash ja3.string ja3_string ja3s.hash ja3s.string ja4.hash
//   ssh.proto ssh_proto ssh.software ssh_software ssh.protoversion
//   ssh.softwareversion ssh.hassh ssh.hassh.string ssh.hassh.server
//   ssh.hassh.server.string
import { registerDnsKeywords } from '../../app/dns/detect.js';
import { registerTlsKeywords } from '../../app/tls/detect.js';
import { registerSshKeywords } from '../../app/ssh/detect.js';

registerDnsKeywords();
registerTlsKeywords();
registerSshKeywords();

// ---------------------------------------------------------------------------
// Transforms of sticky buffers (to_lowercase, url_decode, xor, pcrexform,
// from_base64, ...) and base64_decode with base64_data. Their definitions
// live in transform-keywords.ts and base64-keywords.ts.
import { TRANSFORM_KEYWORDS } from './transform-keywords.js';
import { BASE64_KEYWORDS } from './base64-keywords.js';

for (const def of [...TRANSFORM_KEYWORDS, ...BASE64_KEYWORDS]) register(def);

// ---------------------------------------------------------------------------
// HTTP keywords: the sticky buffers, their legacy content modifiers,
// uricontent and urilen (src/app/http/detect.ts, HTTP_KEYWORD_NAMES).
import { HTTP_KEYWORDS } from '../../app/http/detect.js';
for (const def of HTTP_KEYWORDS) register(def);

// ---------------------------------------------------------------------------
// App-layer keywords of the app layer as a whole: app-layer-protocol and
// app-layer-event (src/app/app-keywords.ts).
import { APP_LAYER_KEYWORDS } from '../../app/app-keywords.js';
for (const def of APP_LAYER_KEYWORDS) register(def);

// ---------------------------------------------------------------------------
// File keywords: file.name, filename, fileext, filemagic (rejected),
// filemd5, filesha1, filesha256 and filesize (file-keywords.ts).
import { FILE_KEYWORDS } from './file-keywords.js';
for (const def of FILE_KEYWORDS) register(def);
