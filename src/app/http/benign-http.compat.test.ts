/**
 * HTTP requests of the benign corpus captures, compared with tshark.
 * The expected lines are the output of, per capture:
 *
 *   tshark -o http.desegment_body:FALSE -r FILE -Y http.request \
 *     -T fields -e http.request.uri -e http.host
 *
 * (Wireshark 4, run once; body desegmentation is off so that requests
 * whose body the capture cuts short are listed too). Both sides are
 * sorted, because tshark lists requests in frame order and this test in
 * connection order. The URI is the request target as sent (http.uri.raw)
 * and the host is the Host header as sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTcpStreams } from '../common/test-streams.js';
import { HttpState } from './state.js';
import { CORPUS_DIR } from '../../../test/corpus-path.js';

function findCorpus(): string | null {
  const candidates = [process.env.KAPU_CORPUS, '../shared/corpus', CORPUS_DIR];
  for (const dir of candidates) if (dir !== undefined && existsSync(join(dir, 'pcaps', 'benign'))) return join(dir, 'pcaps', 'benign');
  return null;
}

const BENIGN = findCorpus();
const SKIP = BENIGN === null ? 'benign capture corpus not found (set KAPU_CORPUS)' : false;

/** Server ports that tshark dissects as HTTP without a version in the request line. */
const HTTP_PORTS: ReadonlySet<number> = new Set([80, 8080]);

/**
 * Tells whether a connection is HTTP for this test: its first client line
 * names an HTTP version, or it goes to an HTTP port. This keeps FTP, SMTP
 * and the like out, and keeps malformed request lines in.
 */
function looksLikeHttp(firstBytes: Uint8Array, serverPort: number): boolean {
  const text = Buffer.from(firstBytes.subarray(0, 4096)).toString('latin1');
  const lineEnd = text.indexOf('\n');
  const line = lineEnd < 0 ? text : text.slice(0, lineEnd);
  return line.includes('HTTP/') || HTTP_PORTS.has(serverPort);
}

const METHOD = /^[A-Z][A-Z_-]*$/;

/** Parses every connection of a capture that starts like HTTP; returns "uri<TAB>host" per request. */
function requestsOf(path: string): string[] {
  const lines: string[] = [];
  for (const conn of readTcpStreams(path)) {
    const first = conn.chunks.find((c) => c.direction === 0);
    if (first === undefined || !looksLikeHttp(first.bytes, conn.serverPort)) continue;
    const state = new HttpState();
    for (const chunk of conn.chunks) state.handleData(chunk.direction, chunk.bytes, 0, chunk.bytes.length, 0);
    state.handleEnd(0);
    state.handleEnd(1);
    for (const tx of state.transactions) {
      // tshark lists requests whose method is a token of letters; kapu
      // also keeps "GET/" or bytes above 0x7f as a method, as libhtp does.
      if (tx.method === null || !METHOD.test(Buffer.from(tx.method).toString('latin1'))) continue;
      // A method alone on its line has no target; tshark prints it empty.
      const uri = tx.uriRaw === null ? '' : Buffer.from(tx.uriRaw).toString('latin1');
      const host = tx.requestHeaders.get('host');
      lines.push(uri + '\t' + (host === null ? '' : Buffer.from(host).toString('latin1')));
    }
  }
  return lines.sort();
}

const EXPECTED: readonly (readonly [string, readonly string[]])[] = [
  ['chrissanders/http_espn.pcapng', [
    '/\twww.espn.com',
    '/\tespn.go.com',
    '/combiner/c?v=201003241632&css=base.201003241632.css,modules.201003241633.css,modules/insider_enhanced.200910131831.css,modules/mem_espn360.200910131831.css,sn_icon_sprite.200907150955.css,master_sprite.200907231718.css,/espn/espn/styles/frontpage_scoreboard\ta.espncdn.com',
    '/combiner/c?v=201004021838&js=jquery-1.3.2.js,plugins/json2.js,plugins/teacrypt.js,plugins/jquery.metadata.js,plugins/jquery.bgiframe.js,plugins/jquery.easing.1.3.js,plugins/jquery.hoverIntent.js,plugins/jquery.jcarousel.js,plugins/jquery.tinysort.js,plugins/jquery.pubsub.js,ui/1.7.2/ui.core.js,ui/1.7.2/ui.tabs.js,plugins/ba-debug-0.3.js,espn.l10n.r3.js,swfobject/2.2/swfobject.js,flashObjWrapper.r5.js,espn.core.duo.r24.js,espn.storage.3.js,espn.p13n.r5.js,espn.video.r14.js,espn.insider.r3.js,espn.espn360.stub.r6.js,espn.myHeadlines.stub.r4.js,espn.myfaves.stub.r3.js,%2Fespn%2Fespn%2Fjavascript%2Ffrontpage_scoreboard,registration/myEspn.201003231022.js,registration%2FstaticLogin.201004011014.js&debug=false\ta.espncdn.com',
    '/prod/assets/bg_v2/bg_frontpage_red.jpg\ta1.espncdn.com',
    '/prod/assets/bg_v2/bg_frontpage_elements.jpg\ta1.espncdn.com',
    '/prod/assets/bg944-070909.png\ta2.espncdn.com',
    '/prod/assets/master-07092009.png\ta2.espncdn.com',
    '/prod/assets/carousel_getflash_111808.gif\ta.espncdn.com',
    '/photo/2010/0407/pga_g_furykkids_576.jpg\ta.espncdn.com',
    '/prod/assets/gradient_back.jpg\ta2.espncdn.com',
    '/mas/js/external_alc.js\twww.masters.com',
    '/photo/2010/0407/pga_g_furykkids_134.jpg\ta.espncdn.com',
    '/photo/2010/0407/nfl_a_clausen_sy_134.jpg\ta.espncdn.com',
    '/ad/sponsors/utilities/flash_v3005.js\tadsatt.espn.go.com',
    '/media/motion/2010/0407/dm_100407_nfl_schefter_haynesworth_thumdnail_wbig.jpg\ta.espncdn.com',
    '/icons/video.png\tassets.espn.go.com',
    '/photo/2010/0406/ncw_g_uconnSC_134.jpg\ta.espncdn.com',
    '/prod/assets/main_search.gif\ta.espncdn.com',
    '/webslices/icons/12x12.png\ta.espncdn.com',
    '/icons/in.gif\ta.espncdn.com',
    '/icons/watch.png\tassets.espn.go.com',
    '/i/columnists/simmons_bill_35fp.jpg\ta.espncdn.com',
    '/icons/listen.png\ta.espncdn.com',
    '/i/columnists/reilly_rick_35fp.jpg\ta.espncdn.com',
    '/log?ft=j&srvc=sz&addata=2206:73821:473959:73821|858:65::|0:73822:473585:73822|1331:53156:640270:53156|1034:65::|1149:65::|1643:53156:474192:183|3345:65::|3346:65::|3347:65::|3348:65::|3358:53156:633340:53156|3359:53156:640069:53156|3655:65::&method=GET&cap=&svr=espn.go.com&host=espn.go.com&guid=B249644A-DD09-42ED-BD98-1C75B2F98967&sf=cnt_codes:SZ11\tlog.go.com',
    '/streak/SFC09_playnow.jpg\ta.espncdn.com',
    '/prod/assets/clear.png\ta.espncdn.com',
    '/photo/2010/0406/nba_rookie50ts_134.jpg\ta.espncdn.com',
    '/icons/in.gif\tassets.espn.go.com',
    '/ad/sponsors/ESPN_Internet_Ventures/Mar_2010/es13-300x100-1291.jpg\tadsatt.espn.go.com',
    '/i/in.gif\tassets.espn.go.com',
    '/media/motion/2010/0407/dm_100407_sportscience_hayward_thumdnail_wbig.jpg\ta.espncdn.com',
    '/icons/watch.png\ta.espncdn.com',
    '/media/motion/2010/0405/TNR_Ep2_Big_Papi_APR5_thumdnail_wbig.jpg\ta.espncdn.com',
    '/photo/2010/0405/trv_detroit_134.jpg\ta.espncdn.com',
    '/ad/sponsors/ESPN_Internet_Ventures/Apr_2010/es13-300x100-1344.jpg\tadsatt.espn.go.com',
    '/icons/listen.png\tassets.espn.go.com',
    '/ad/sponsors/ESPN_In_House_Marketing/Mar_2010/espn-300x250-3039.swf\tadsatt.espn.go.com',
    '/i/teamlogos/ncaa/50x50/41.png\ta.espncdn.com',
    '/prod/assets/sn_icon_sprite_40.png\ta2.espncdn.com',
    '/prod/assets/totemPoll.swf\ta.espncdn.com',
    '/rms/11107/nodetag.js\tcontent.dl-rms.com',
    '/combiner/c?js=analytics/sOmni.js,analytics/analytics.js&xhr=1\ta.espncdn.com',
    '/crossdomain.xml\tespn.go.com',
    '/espn/fp/pollDataGenUniversal?id=88915\tespn.go.com',
    '/espn360/util/espn360user?callback=jsonp1270661370297\tbroadband.espn.go.com',
    '/videohub/mpf/config.prodXml?player=fpp09&adminOver=3805638&xhr=1\tespn.go.com',
    '/prod/assets/pollBtn.png\ta.espncdn.com',
    '/prod/assets/pollBtnActive.png\ta.espncdn.com',
    '/b/ss/wdgespcom,wdgespge/1/H.21/s38625912899643?AQB=1&ndh=1&t=7/3/2010%2012%3A29%3A31%203%20300&ns=espn&cdp=2&pageName=espn%3Ahome%3Afrontpage&g=http%3A//espn.go.com/&cc=USD&ch=espn%3Ahome&server=espn.go.com&events=event3%2Cevent38&products=ads%3Blogin_cta_unreg_reg_registernow%3B%3B%3Bevent38%3D1%2Cads%3B2009_insdr_mod_front_xxx_xxx%3B%3B%3Bevent38%3D1%2Cads%3B3358%3A53156%3A633340%3A53156%3B%3B%3Bevent38%3D1&c1=espn&h1=espn%3Ahome%3Afrontpage&c2=D%3DSWID&c4=index&c5=espn%3Ahome%3Afrontpage&c6=New&v7=%3Aunknown%3Aanonymous%3Aanonymous%3Apremium-no%3A&v9=en&c11=anonymous%3Apremium-no&v11=index%3Aespn%3Ahome&v13=espn%3Ahome%3Afrontpage&c17=en&c21=unknown&c22=unknown&c24=First%20Visit&c29=anonymous&c30=false&s=1280x800&c=24&j=1.7&v=N&k=Y&bw=994&bh=565&p=Shockwave%20Flash%3BVLC%20Multimedia%20Plugin%20%28compatible%20Totem%202.28.2%29%3BWindows%20Media%20Player%20Plug-in%2010%20%28compatible%3B%20Totem%29%3BDivX%AE%20Web%20Player%3BQuickTime%20Plug-in%207.2.0%3B&AQE=1\tw88.go.com',
    '/b/ss/wdgespcom,wdgespge/1/H.21/s38625912899643?AQB=1&pccr=true&vidn=25DE60838514AEC3-6000016C001C8CF5&&ndh=1&t=7/3/2010%2012%3A29%3A31%203%20300&ns=espn&cdp=2&pageName=espn%3Ahome%3Afrontpage&g=http%3A//espn.go.com/&cc=USD&ch=espn%3Ahome&server=espn.go.com&events=event3%2Cevent38&products=ads%3Blogin_cta_unreg_reg_registernow%3B%3B%3Bevent38%3D1%2Cads%3B2009_insdr_mod_front_xxx_xxx%3B%3B%3Bevent38%3D1%2Cads%3B3358%3A53156%3A633340%3A53156%3B%3B%3Bevent38%3D1&c1=espn&h1=espn%3Ahome%3Afrontpage&c2=D%3DSWID&c4=index&c5=espn%3Ahome%3Afrontpage&c6=New&v7=%3Aunknown%3Aanonymous%3Aanonymous%3Apremium-no%3A&v9=en&c11=anonymous%3Apremium-no&v11=index%3Aespn%3Ahome&v13=espn%3Ahome%3Afrontpage&c17=en&c21=unknown&c22=unknown&c24=First%20Visit&c29=anonymous&c30=false&s=1280x800&c=24&j=1.7&v=N&k=Y&bw=994&bh=565&p=Shockwave%20Flash%3BVLC%20Multimedia%20Plugin%20%28compatible%20Totem%202.28.2%29%3BWindows%20Media%20Player%20Plug-in%2010%20%28compatible%3B%20Totem%29%3BDivX%AE%20Web%20Player%3BQuickTime%20Plug-in%207.2.0%3B&AQE=1\tw88.go.com',
    '/dt/s/11107/s.js\tcontent.dl-rms.com',
    '/favicon.ico\tespn.go.com',
    '/format/modules/front09v2/streakModule\tstreak.espn.go.com',
    '/streak/gradient_back.jpg\ta.espncdn.com',
    '/streak/logo_sfc_redesign.gif\ta.espncdn.com',
    '/streak/loader_w.gif\ta.espncdn.com',
    '/insertfiles/javascript/wa/sOmni.js\ta.espncdn.com',
    '/streak/checks.gif\ta.espncdn.com',
    '/s/minigames/i/page1/logo_fantasy_flb_80x80.png\tgames-ak.espn.go.com',
  ]],
  ['chrissanders/http_google.pcapng', [
    '/\twww.google.com',
  ]],
  ['chrissanders/http_ip4and6.pcapng', [
    '/\t172.16.16.139',
    '/\t[2001:db8:1:2::1000]',
  ]],
  ['chrissanders/http_post.pcapng', [
    '/wp-comments-post.php\twww.chrissanders.org',
    '/?p=310&cpage=1\twww.chrissanders.org',
  ]],
  ['chrissanders/tcp_ports.pcapng', [
    '/rss/newsonline_world_edition/front_page/rss.xml\tnewsrss.bbc.co.uk',
    '/\twireshark.org',
    '/\twww.wireshark.org',
    '/css/ws-2.css\twww.wireshark.org',
    '/css/superfish.css\twww.wireshark.org',
    '/css/print.css\twww.wireshark.org',
    '/image/video1.png\twww.wireshark.org',
    '/image/video2.png\twww.wireshark.org',
    '/blogfeed.js\twww.wireshark.org',
    '/image/CACE_PILOT_screens.gif\twww.wireshark.org',
    '/image/AirPcap_device.png\twww.wireshark.org',
    '/image/turbocap_card.png\twww.wireshark.org',
    '/image/header.png\twww.wireshark.org',
    '/js/jquery.hoverIntent.minified.js\twww.wireshark.org',
    '/image/wireshark.png\twww.wireshark.org',
    '/image/nav_2.png\twww.wireshark.org',
    '/image/slogan.png\twww.wireshark.org',
    '/image/nav_1_separator.png\twww.wireshark.org',
    '/js/superfish.js\twww.wireshark.org',
    '/image/nav_1.png\twww.wireshark.org',
    '/image/shadow.png\twww.wireshark.org',
    '/image/btn_search.png\twww.wireshark.org',
    '/image/nav_icon_back.png\twww.wireshark.org',
    '/image/nav_icon_left.png\twww.wireshark.org',
    '/image/icons.png\twww.wireshark.org',
    '/image/nav_icon_right.png\twww.wireshark.org',
    '/image/cols_thirds_repeat.png\twww.wireshark.org',
    '/image/h_newsandevents.png\twww.wireshark.org',
    '/image/rss.gif\twww.wireshark.org',
    '/image/col_third_break.png\twww.wireshark.org',
    '/image/h_latestrelease.png\twww.wireshark.org',
    '/image/h_wiresharkblog.png\twww.wireshark.org',
    '/image/h_videos.png\twww.wireshark.org',
    '/image/h_enhancements.png\twww.wireshark.org',
    '/image/btn_demo.gif\twww.wireshark.org',
    '/image/btn_learn.gif\twww.wireshark.org',
    '/image/cols_thirds_end.png\twww.wireshark.org',
    '/image/announcement.png\twww.wireshark.org',
    '/image/entertainment.png\twww.wireshark.org',
    '/image/investigate.png\twww.wireshark.org',
    '/favicon.ico\twww.wireshark.org',
  ]],
  ['ppa-book/dns.cap', [
    '/\tchrissanders.org',
    '/__utm.gif?utmwv=1&utmn=413260048&utmcs=UTF-8&utmsr=1280x800&utmsc=32-bit&utmul=en-us&utmje=1&utmfl=9.0%20%20r28&utmdt=Chris%20Sanders&utmhn=chrissanders.org&utmr=-&utmp=/&utmac=UA-633397-1&utmcc=__utma%3D84195659.1510964450.1165525225.1166212168.1166293355.13%3B%2B__utmb%3D84195659%3B%2B__utmc%3D84195659%3B%2B__utmz%3D84195659.1165525225.1.1.utmccn%3D(direct)%7Cutmcsr%3D(direct)%7Cutmcmd%3D(none)%3B%2B\twww.google-analytics.com',
    '/pagead/ads?client=ca-pub-8008513915538056&dt=1166293355203&lmt=1166293355&format=160x600_as&output=html&url=http%3A%2F%2Fchrissanders.org%2F&color_bg=FFFFFF&color_text=333333&color_link=000000&color_url=336699&color_border=E1771E&ad_type=text_image&cc=100&u_h=800&u_w=1280&u_ah=772&u_aw=1280&u_cd=32&u_tz=-360&u_his=1&u_java=true&u_nplug=10&u_nmime=26\tpagead2.googlesyndication.com',
    '/sh.php?id_p=10244&id=e9248e3d4d8faebced28dca259ad9603&i1=&i2=&i3=&bc=FFFFFF&o=h&w=468&h=60&f1=Verdana&s1=small&c1=000000&f2=Verdana&s2=small&c2=000000&f3=Verdana&s3=small&c3=009900\twww.expoactive.com',
    '/favicon.ico\tchrissanders.org',
    '/\twireshark.org',
    '/css/ws-1.css\twireshark.org',
    '/js/common.js\twireshark.org',
    '/image/wslogomedblue113.png\twireshark.org',
    '/image/candygram113.png\twireshark.org',
    '/logos/Logo_25wht.gif\twww.google.com',
    '/images/airpcap.gif\twww.winpcap.org',
    '/images/cace_logo.gif\twww.winpcap.org',
    '/image/front_screen.png\twireshark.org',
    '/image/cg_fade_bg.png\twireshark.org',
    '/image/top_navbar_bg.png\twireshark.org',
    '/favicon.ico\twireshark.org',
  ]],
  ['ppa-book/http.cap', [
    '/download.html\twww.ethereal.com',
    '/pagead/ads?client=ca-pub-2309191948673629&random=1084443430285&lmt=1082467020&format=468x60_as&output=html&url=http%3A%2F%2Fwww.ethereal.com%2Fdownload.html&color_bg=FFFFFF&color_text=333333&color_link=000000&color_url=666633&color_border=666633\tpagead2.googlesyndication.com',
  ]],
  ['zeek/http-vlan-0.pcap', [
    '/download/CHANGES.bro-aux.txt\tbro.org',
  ]],
  ['zeek/http_100-continue.pcap', [
    '/\twww.osu.edu',
  ]],
  ['zeek/http_bro.org.pcap', [
    '/\tbro.org',
    '/css/pygments.css\tbro.org',
    '/css/960.css\tbro.org',
    '/css/bro-ids.css\tbro.org',
    '/css/print.css\tbro.org',
    '/js/jquery.cycle.all.min.js\tbro.org',
    '/js/jquery.fancybox-1.3.4.pack.js\tbro.org',
    '/js/jquery.tweet.js\tbro.org',
    '/js/jquery.zrssfeed.js\tbro.org',
    '/js/jquery.tableofcontents.js\tbro.org',
    '/js/superfish.js\tbro.org',
    '/js/hoverIntent.js\tbro.org',
    '/js/general.js\tbro.org',
    '/favicon.ico\tbro.org',
    '/js/jquery.collapse.js\tbro.org',
    '/images/bro-eyes.png\tbro.org',
    '/images/new.png\tbro.org',
    '/images/icons/feed-icon-14x14.png\tbro.org',
    '/images/logo-icsi.png\tbro.org',
    '/images/logo-lbl.png\tbro.org',
    '/images/logo-ncsa.png\tbro.org',
    '/images/logo-nsf.jpg\tbro.org',
    '/images/to-top.gif\tbro.org',
    '/images/menu/default-submenu-sprite.png\tbro.org',
    '/download/index.html\tbro.org',
    '/images/logo-bro.png\tbro.org',
    '/js/breadcrumbs.js\tbro.org',
    '/images/icons/download.png\tbro.org',
    '/downloads/release/binpac-0.41.tar.gz.asc\twww.bro.org',
    '/favicon.ico\twww.bro.org',
    '/download/CHANGES.binpac.txt\tbro.org',
  ]],
  ['zeek/http_get.pcap', [
    '/download/CHANGES.bro-aux.txt\tbro.org',
  ]],
  ['zeek/http_m57-long-49583-80.pcap', [
    '/msdownload/update/software/secu/2009/07/windows6.0-kb971657-x86_d80725113915f67a2693bd66a9307243fa3f8e2c.psf\tdownload.windowsupdate.com',
    '/msdownload/update/software/secu/2009/08/windows6.0-kb967723-x86_16e93210ffe3ebc84c10663eb438a1c6a378c840.psf\tdownload.windowsupdate.com',
    '/msdownload/update/software/secu/2009/09/windows6.0-kb974455-x86_9aaeb6b9d0769b3dd3e6f4a5e1440a6cd223674c.psf\tdownload.windowsupdate.com',
  ]],
  ['zeek/http_methods.pcap', [
    '*\twww.google.com',
    'HTTP/1.1\twww.google.com',
    '\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
    '/\twww.google.com',
    '/\twww.google.com',
    '/HTTP/1.1\twww.google.com',
  ]],
  ['zeek/http_multipart.pcap', [
    '/post\thttpbin.org',
  ]],
  ['zeek/http_pipelined-requests.pcap', [
    '/style/enhanced.css\twww.mozilla.org',
    '/script/urchin.js\twww.mozilla.org',
    '/images/template/screen/bullet_utility.png\twww.mozilla.org',
    '/images/template/screen/key-point-top.png\twww.mozilla.org',
    '/projects/calendar/images/header-sunbird.png\twww.mozilla.org',
  ]],
  ['zeek/http_post.pcap', [
    '/post\thttpbin.org',
  ]],
  ['zeek/http_putty-upload.pcap', [
    '/upload.html\tlocalhost:8080',
    '/upload\tlocalhost:8080',
  ]],
  ['zeek/mixed-vlan-mpls.pcap', [
    '/\twww.icir.org',
    '/\t',
  ]],
  ['zeek/tunnels_Teredo.pcap', [
    '/cgi-bin/iavs4stats.cgi\tdownload913.avast.com',
    '/\twww.wireshark.org',
  ]],
  ['zeek/tunnels_vxlan-encapsulated-http.pcap', [
    '/image/svg\teu.httpbin.org',
  ]],
  ['zeek/var-services-std-ports.pcap', [
    '/\t172.16.238.131',
    '/favicon.ico\t172.16.238.131',
    '/\twww.google.com',
    '/csi?v=3&s=webhp&action=&e=17259,28505,28936,29561,30316,30348,30760,30804,31091,31112,31127,31186,31266&ei=nLIETuzrHMW2qwH0wemuDQ&expi=17259,28505,28936,29561,30316,30348,30760,30804,31091,31112,31127,31186,31266&imc=2&imn=2&imp=0&rt=xjsls.70,prt.75,xjses.113,xjsee.136,xjs.137,ol.145,iml.75\twww.google.com',
  ]],
  ['zeek/web.pcap', [
    '/\twww.icir.org',
  ]],
  ['zeek/websocket_jupyter-websocket.pcap', [
    '/user/christian/api/kernels/f8645ecd-0a76-4bb1-9e6e-cb464276bc69/channels?session_id=deeecee7-efc2-42a1-a7c1-e1c0569436e3\t192.168.122.182',
  ]],
  ['zeek/wikipedia.pcap', [
    '/\twww.wikipedia.org',
    '/skins-1.5/monobook/main.css\tbits.wikimedia.org',
    '/wikipedia/commons/6/63/Wikipedia-logo.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/b/bb/Wikipedia_wordmark.svg/174px-Wikipedia_wordmark.svg.png\tupload.wikimedia.org',
    '/wikipedia/commons/b/bd/Bookshelf-40x201_6.png\tupload.wikimedia.org',
    '/wikipedia/commons/4/4a/Wiktionary-logo-en-35px.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/8/8a/Wikinews-logo.png/35px-Wikinews-logo.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/f/fa/Wikiquote-logo.svg/35px-Wikiquote-logo.svg.png\tupload.wikimedia.org',
    '/images/wikimedia-button.png\tmeta.wikimedia.org',
    '/wikipedia/commons/thumb/f/fa/Wikibooks-logo.svg/35px-Wikibooks-logo.svg.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/d/df/Wikispecies-logo.svg/35px-Wikispecies-logo.svg.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/4/4c/Wikisource-logo.svg/35px-Wikisource-logo.svg.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/9/91/Wikiversity-logo.svg/35px-Wikiversity-logo.svg.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/4/4a/Commons-logo.svg/35px-Commons-logo.svg.png\tupload.wikimedia.org',
    '/wikipedia/commons/thumb/7/75/Wikimedia_Community_Logo.svg/35px-Wikimedia_Community_Logo.svg.png\tupload.wikimedia.org',
  ]],
  ['zeek/workshop_2011_browse.pcap', [
    '/\tbro-ids.org',
    '/css/pygments.css\tbro-ids.org',
    '/css/960.css\tbro-ids.org',
    '/css/bro-ids.css\tbro-ids.org',
    '/js/jquery.cycle.all.min.js\tbro-ids.org',
    '/js/jquery.fancybox-1.3.4.pack.js\tbro-ids.org',
    '/js/jquery.tweet.js\tbro-ids.org',
    '/js/jquery.zrssfeed.js\tbro-ids.org',
    '/js/jquery.tableofcontents.js\tbro-ids.org',
    '/js/superfish.js\tbro-ids.org',
    '/js/hoverIntent.js\tbro-ids.org',
    '/js/general.js\tbro-ids.org',
    '/js/jquery.collapse.js\tbro-ids.org',
    '/css/print.css\tbro-ids.org',
    '/documentation/index.html\tbro-ids.org',
    '/js/breadcrumbs.js\tbro-ids.org',
    '/documentation/reporting-problems.html\tbro-ids.org',
  ]],
];

for (const [file, expected] of EXPECTED) {
  test(`http requests of ${file}`, { skip: SKIP }, () => {
    assert.deepEqual(requestsOf(join(BENIGN ?? '', file)), [...expected].sort());
  });
}
