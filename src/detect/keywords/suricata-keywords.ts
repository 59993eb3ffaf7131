/**
 * Names of rule keywords that Suricata 8 knows. A rule that uses one of
 * these which kapu has not registered is skipped as "not supported yet"
 * (KAPU_ERR_RULE_UNSUPPORTED); any other name is an unknown keyword
 * (KAPU_ERR_RULE_UNKNOWN_KEYWORD), usually a typo.
 */
const NAMES = `
msg sid rev gid classtype priority reference metadata target requires config
content nocase depth offset distance within startswith endswith rawbytes fast_pattern
isdataat absent bsize dsize byte_test byte_jump byte_extract byte_math entropy rpc replace
pcre pcrexform pkt_data file_data file.data base64_decode base64_data luajit lua
flow flowbits flowint flow.age flow.pkts flow.bytes flow.pkts_toserver flow.pkts_toclient
flow.bytes_toserver flow.bytes_toclient xbits hostbits stream_size stream-event
app-layer-event app-layer-protocol app-layer-state decode-event engine-event
threshold detection_filter noalert alert tag prefilter bypass
ttl ip_proto id fragbits fragoffset sameip tos geoip iprep ipopts ipv4.hdr ipv6.hdr
ipv4-csum tcpv4-csum tcpv6-csum udpv4-csum udpv6-csum icmpv4-csum icmpv6-csum
seq ack window tcp.seq tcp.ack tcp.window flags tcp.flags tcp.mss tcp.hdr tcp.wscale udp.hdr
itype icode icmp_id icmp_seq icmpv4.hdr icmpv6.hdr icmpv6.mtu igmp.type igmp.hdr
ether.hdr vlan.id vlan.layers arp.opcode arp.hw_type arp.proto_type arp.src_hw arp.dst_hw arp.src_ip arp.dst_ip
datarep dataset transform to_md5 to_sha1 to_sha256 to_lowercase to_uppercase
dotprefix domain tld strip_whitespace compress_whitespace url_decode xor header_lowercase
strip_pseudo_headers from_base64 luaxform gunzip zlib_deflate subslice
urilen http_uri http_raw_uri http_method http_header http_raw_header http_cookie
http_raw_cookie http_client_body http_server_body http_stat_code http_stat_msg
http_user_agent http_host http_raw_host http_header_names http_request_line
http_response_line http_protocol http_start http_accept http_accept_enc http_accept_lang
http_connection http_content_len http_content_type http_location http_referer http_server
http.uri http.uri.raw http.method http.header http.header.raw http.cookie http.request_body
http.response_body http.stat_code http.stat_msg http.user_agent http.host http.host.raw
http.header_names http.request_line http.response_line http.protocol http.start
http.accept http.accept_enc http.accept_lang http.connection http.content_len
http.content_type http.location http.referer http.server http.request_header
http.response_header http.request_body.raw http.response_body.raw
http2.frametype http2.errorcode http2.priority http2.window http2.size_update
http2.settings http2.header_name http2.header
file.name filename fileext file.magic filemagic filestore filemd5 filesha1 filesha256
filesize file.size file.mime
dns.query dns_query dns.opcode dns.rcode dns.rrtype dns.answer.name dns.query.name
dns.queries.rrname dns.answers.rrname dns.authorities.rrname dns.additionals.rrname
dns.response.rrname
tls.sni tls_sni tls.cert_subject tls_cert_subject tls.cert_issuer tls_cert_issuer
tls.cert_serial tls_cert_serial tls.cert_fingerprint tls_cert_fingerprint tls.certs
tls.cert_chain_len tls.version tls.random tls.random_time tls.random_bytes tls.subjectaltname
tls.alpn tls.cert_expired tls.cert_valid tls.fingerprint tls.store tls_cert_notbefore
tls_cert_notafter tls_cert_expired tls_cert_valid tls.subject tls.issuerdn ssl_version
ssl_state
ja3.hash ja3_hash ja3.string ja3s.hash ja3s.string ja4.hash
ssh.proto ssh_proto ssh.software ssh_software ssh.protoversion ssh.softwareversion
ssh.hassh ssh.hassh.string ssh.hassh.server ssh.hassh.server.string
smb.named_pipe smb.share smb.ntlmssp_user smb.ntlmssp_domain smb.version
dcerpc.iface dcerpc.opnum dcerpc.stub_data
ftpbounce ftpdata_command ftp.command ftp.command_data ftp.completion_code ftp.reply
ftp.mode ftp.reply_received ftp.dynamic_port
smtp.helo smtp.mail_from smtp.rcpt_to email.from email.to email.cc email.subject
email.date email.message_id email.x_mailer email.url email.received
imap.request imap.response pop3.command pop3.args pop3.response
krb5_msg_type krb5_cname krb5_sname krb5_err_code krb5.ticket_encryption krb5.weak_encryption
snmp.version snmp.community snmp.pdu_type snmp.usm
sip.method sip.uri sip.protocol sip.stat_code sip.stat_msg sip.request_line
sip.response_line sip.from sip.to sip.via sip.user_agent sip.content_type
sip.content_length
modbus dnp3_func dnp3_ind dnp3_obj dnp3_data dnp3.func dnp3.ind dnp3.obj dnp3.data
enip_command cip_service enip.command enip.status
nfs_procedure nfs.version
dhcp.leasetime dhcp.rebinding_time dhcp.renewal_time
mqtt.protocol_version mqtt.type mqtt.flags mqtt.qos mqtt.reason_code mqtt.connack.session_present
mqtt.connect.clientid mqtt.connect.flags mqtt.connect.password mqtt.connect.protocol_string
mqtt.connect.username mqtt.connect.willmessage mqtt.connect.willtopic mqtt.publish.message
mqtt.publish.topic mqtt.subscribe.topic mqtt.unsubscribe.topic
rfb.name rfb.secresult rfb.sectype
quic.cyu.hash quic.cyu.string quic.sni quic.ua quic.version
ike.init_spi ike.resp_spi ike.chosen_sa_attribute ike.exchtype ike.vendor ike.key_exchange_payload
ike.key_exchange_payload_length ike.nonce_payload ike.nonce_payload_length
websocket.payload websocket.flags websocket.mask websocket.opcode
ldap.request.operation ldap.responses.operation ldap.responses.count
ldap.request.dn ldap.responses.dn ldap.responses.result_code ldap.responses.message
ldap.request.attribute_type ldap.responses.attribute_type
mdns.queries.rrname mdns.answers.rrname
pgsql.query sdp.origin sdp.session_name
tftp.file_name tcp.reassembly asn1 frame
`;

/** Suricata keyword names, for telling unsupported keywords from unknown ones. */
export const SURICATA_KEYWORD_NAMES: ReadonlySet<string> = new Set(NAMES.split(/\s+/).filter((n) => n.length > 0));

/**
 * Application-layer protocol names that a rule header may use in place of
 * a transport protocol. kapu runs no app-layer detection yet, so rules
 * with these protocols are skipped as not supported.
 */
export const APP_LAYER_PROTOCOLS: ReadonlySet<string> = new Set(
  `http http1 http2 ftp ftp-data smtp tls ssl ssh imap pop3 smb dcerpc dns doh2 modbus
   dnp3 enip nfs ntp tftp ikev2 ike krb5 dhcp snmp sip rfb mqtt rdp quic bittorrent-dht
   pgsql telnet websocket ldap mdns llmnr template msn jabber irc`
    .split(/\s+/)
    .filter((n) => n.length > 0),
);
