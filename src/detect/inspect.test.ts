import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectRule } from './test-support/inspect-helpers.js';
import { InspectContext } from './inspect-context.js';

/** Asserts the rule matches each payload in `yes` and none in `no`. */
function check(body: string, yes: string[], no: string[]): void {
  for (const p of yes) assert.equal(inspectRule(body, p), true, `${body} should match ${JSON.stringify(p)}`);
  for (const p of no) assert.equal(inspectRule(body, p), false, `${body} should not match ${JSON.stringify(p)}`);
}

test('content plain and hex', () => {
  check('content:"abc";', ['abc', 'xxabcxx'], ['ab', 'ABC', '']);
  check('content:"|61 62|c";', ['xabc'], ['xab c']);
  check('content:"a|3a|b";', ['a:b'], ['ab']);
});

test('content nocase', () => {
  check('content:"abc"; nocase;', ['ABC', 'aBc', 'xabc'], ['ab']);
  check('content:"|41|bc"; nocase;', ['abc', 'ABC'], ['bc']);
});

test('content depth counts from start', () => {
  check('content:"abc"; depth:3;', ['abcdef'], ['xabc']);
  check('content:"abc"; depth:5;', ['xxabc'], ['xxxabc']);
});

test('content offset skips bytes', () => {
  check('content:"def"; offset:3;', ['abcdef', 'abcxdef'], ['defabc', 'abdefx']);
});

test('content offset with depth window', () => {
  // depth is counted from offset: the window is bytes 3 to 5.
  check('content:"def"; offset:3; depth:3;', ['abcdefg'], ['abcxdef', 'defxxxx']);
  check('content:"def"; depth:3; offset:3;', ['abcdefg'], ['abcxdef']);
});

test('content distance after previous', () => {
  check('content:"abc"; content:"def"; distance:0;', ['abcdef', 'abcxxdef'], ['defabc']);
  check('content:"abc"; content:"def"; distance:2;', ['abcxxdef'], ['abcxdef']);
});

test('content negative distance', () => {
  // The second pattern may overlap the first: its window starts at 3-2=1.
  check('content:"abc"; content:"bcd"; distance:-2;', ['abcd'], ['bcdabc']);
  // A negative distance reaching before the buffer start begins at 0.
  check('content:"bc"; content:"ab"; distance:-10;', ['abc'], ['bcx']);
});

test('content within after previous', () => {
  check('content:"abc"; content:"def"; within:3;', ['abcdef'], ['abcxdef']);
  check('content:"abc"; content:"def"; within:4;', ['abcxdef'], ['abcxxdef']);
});

test('content distance and within', () => {
  // Window starts 1 byte after "abc" and ends 3 bytes later: bytes 4 to 6.
  check('content:"abc"; content:"def"; distance:1; within:3;', ['abcxdef'], ['abcdef', 'abcxxdef']);
});

test('content startswith and endswith', () => {
  check('content:"GET"; startswith;', ['GET /', 'GET'], [' GET', 'xGET']);
  check('content:".exe"; endswith;', ['a.exe', 'x.exe.exe'], ['a.exex', '.ex']);
  check('content:"abc"; startswith; endswith;', ['abc'], ['abcabc', 'xabc']);
  check('content:"a"; content:"xyz"; distance:0; endswith;', ['axyz', 'axyzxyz'], ['axyzq']);
});

test('content negated', () => {
  check('content:!"evil";', ['good', ''], ['evil', 'xevilx']);
  check('content:"GET"; content:!"admin"; distance:0;', ['GET /index'], ['GET /admin']);
  check('content:!"abc"; depth:3;', ['xabc'], ['abcx']);
  check('content:!"abc"; offset:2;', ['abcxx'], ['xxabc']);
});

test('content negated endswith', () => {
  check('content:!".exe"; endswith;', ['a.exex', 'a.ex'], ['a.exe', '.exe.exe']);
});

test('negated within retries previous', () => {
  // The first "a" is followed by "b"; the second by "c", so the rule
  // matches after "a" is retried at its next occurrence.
  check('content:"a"; content:!"b"; within:1;', ['abac', 'a'], ['abab', 'ab']);
});

test('negated distance retries previous', () => {
  // In "ab a" the window after the second "a" is empty, so the negated
  // content matches there. A positive content with distance alone does not
  // retry: a later "a" would only shorten its window.
  check('content:"a"; content:!"b"; distance:0;', ['acc', 'ab a'], ['abc', 'ab ab']);
  check('content:"a"; content:"b"; distance:0;', ['ab', 'a a b'], ['ba']);
});

test('relative content backtracks', () => {
  check('content:"ab"; content:"cd"; within:4;', ['ab____ab_cd', 'abcd'], ['ab____cd']);
  // Three levels: the middle content is retried before the first.
  check('content:"a"; content:"b"; within:2; content:"c"; within:1;', ['ab.abc', 'a.b.abc'], ['abxab', 'a..bc']);
});

test('absolute content after relative failure', () => {
  // The second content is not relative: its failure is final.
  check('content:"ab"; content:"zz";', ['abzz', 'zzab'], ['abab']);
});

test('inspection recursion limit reached', () => {
  const ctx = new InspectContext(50);
  const payload = 'a'.repeat(200);
  assert.equal(inspectRule('content:"a"; content:"a"; within:1; content:"b"; within:1;', payload, ctx), false);
  assert.equal(ctx.recursionLimitHits, 1);
  const fresh = new InspectContext(50);
  assert.equal(inspectRule('content:"a"; content:"b"; within:1;', 'aab', fresh), true);
  assert.equal(fresh.recursionLimitHits, 0);
});

test('isdataat absolute', () => {
  // Data at position 3 means the buffer is longer than 3 bytes.
  check('isdataat:3;', ['abcd'], ['abc', '']);
  check('isdataat:!3;', ['abc'], ['abcd']);
});

test('isdataat relative', () => {
  // After "ab" (end 2), 2 more bytes must exist: 2 + 2 <= length.
  check('content:"ab"; isdataat:2,relative;', ['abcd', 'abcde'], ['abc']);
  check('content:"ab"; isdataat:!2,relative;', ['abc'], ['abcd']);
  check('content:"ab"; isdataat:1,relative,rawbytes;', ['abc'], ['ab']);
});

test('isdataat relative retries content', () => {
  // isdataat is relative, so "ab" is retried. The second "ab" has no data
  // after it, so the negated form is true there.
  check('content:"ab"; isdataat:!1,relative;', ['abxab'], ['abx']);
});

test('byte_test binary values', () => {
  const p = '\x00\x00\x01\x00\xf0';
  check('byte_test:4,=,256,0;', [p], []);
  check('byte_test:2,>,255,2;', [p], []);
  check('byte_test:2,=,1,2,little;', [p], []);
  check('byte_test:2,<,256,2;', [], [p]);
  check('byte_test:2,<=,256,2;', [p], []);
  check('byte_test:2,>=,257,2;', [], [p]);
  check('byte_test:1,!=,5,4;', [p], []);
  check('byte_test:1,!,240,4;', [], [p]);
  check('byte_test:1,&,0x10,4;', [p], []);
  check('byte_test:1,&,0x0f,4;', [], [p]);
  check('byte_test:1,^,0xf0,4;', [], [p]);
  check('byte_test:1,=,15,4,bitmask 0xf0;', [p], []);
  check('byte_test:4,=,256,2;', [], [p]);
});

test('byte_test string values', () => {
  check('byte_test:4,=,1234,0,string,dec;', ['1234'], ['1235']);
  check('byte_test:2,=,255,0,string,hex;', ['ff'], ['fe']);
  check('byte_test:3,=,8,0,string,oct;', ['010'], ['011']);
  check('byte_test:4,=,12,0,string,dec;', ['12ab'], ['ab12']);
});

test('byte_test relative', () => {
  check('content:"len="; byte_test:1,>,10,0,relative;', ['len=\x20'], ['len=\x05', 'len=']);
  check('content:"x"; byte_test:1,=,7,1,relative;', ['x.\x07'], ['x\x07']);
});

test('byte_jump moves position', () => {
  // Two length bytes (2), skip 2 bytes: the position is 0 + 2 + 2 = 4.
  check('byte_jump:2,0; content:"AB"; within:2;', ['\x00\x02xxAB'], ['\x00\x02xAB', '\x00\x03xxAB']);
  // multiplier 2: 1 * 2 after the length byte: position 3.
  check('byte_jump:1,0,multiplier 2; content:"AB"; within:2;', ['\x01xxAB'], ['\x01xAB']);
  // align rounds 1 up to 4: position 1 + 4 = 5.
  check('byte_jump:1,0,align; content:"AB"; within:2;', ['\x01xxxxAB'], ['\x01xAB']);
  // from_beginning: position = value = 3.
  check('byte_jump:1,0,from_beginning; content:"AB"; within:2;', ['\x03xxAB'], ['\x03xxxAB']);
  // post_offset -1: 0 + 1 + 3 - 1 = 3.
  check('byte_jump:1,0,post_offset -1; content:"AB"; within:2;', ['\x03xxAB'], ['\x03xxxAB']);
  // from_end with post_offset -2: position length - 2.
  check('byte_jump:1,0,from_end,post_offset -2; content:"AB"; within:2;', ['\x00xxAB'], ['\x00xABx']);
  // A jump past the end fails; exactly to the end holds.
  check('byte_jump:1,0;', ['\x02xx'], ['\x03xx']);
  check('byte_jump:1,0,string,dec; content:"AB"; within:2;', ['2xxAB'], ['3xxAB']);
});

test('byte_extract variable in later keywords', () => {
  // Extract 3, position becomes 1; "XY" must start 3 bytes later, at 4.
  check('byte_extract:1,0,skip; content:"XY"; distance:skip; within:2;', ['\x03abcXY'], ['\x02abcXY']);
  check('byte_extract:1,0,n; byte_test:1,=,n,1;', ['\x07\x07'], ['\x07\x08']);
  check('byte_extract:1,0,at; isdataat:at;', ['\x02abc'], ['\x05abc']);
  check('byte_extract:2,0,off,little; content:"Z"; offset:off; depth:1;', ['\x03\x00xZ'], ['\x03\x00Zx']);
  check('byte_extract:1,0,v,multiplier 2; byte_test:1,=,v,1;', ['\x03\x06'], ['\x03\x03']);
  check('byte_extract:1,0,v,align 4; byte_test:1,=,v,1;', ['\x05\x08'], ['\x05\x05']);
  check('byte_extract:2,0,v,string,hex; byte_test:1,=,v,2;', ['1f\x1f'], ['1f\x10']);
});

test('byte_math result variable', () => {
  check('byte_math:bytes 1, offset 1, oper +, rvalue 10, result r; byte_test:1,=,r,2;', ['\x00\x05\x0f'], ['\x00\x05\x05']);
  check('byte_math:bytes 1, offset 0, oper *, rvalue 3, result r; byte_test:1,=,r,1;', ['\x04\x0c'], ['\x04\x04']);
  check('byte_math:bytes 1, offset 0, oper /, rvalue 0, result r;', [], ['\x04']);
  check('byte_math:bytes 1, offset 0, oper <<, rvalue 2, result r; byte_test:1,=,r,1;', ['\x03\x0c'], []);
  check('byte_math:bytes 1, offset 0, oper >>, rvalue 1, result r; byte_test:1,=,r,1;', ['\x08\x04'], []);
  check('byte_extract:1,0,k; byte_math:bytes 1, offset 1, oper -, rvalue k, result r; byte_test:1,=,r,2;', ['\x02\x07\x05'], []);
  // The bitmask applies to the result: (0x10 + 0x20) & 0xf0 = 0x30, shifted 4 = 3.
  check('byte_math:bytes 1, offset 0, oper +, rvalue 32, result r, bitmask 0xf0; byte_test:1,=,r,1;', ['\x10\x03'], []);
  // byte_math moves the position past the bytes read.
  check('byte_math:bytes 2, offset 0, oper +, rvalue 1, result r; content:"Q"; within:1;', ['\x00\x01Q'], ['\x00\x01xQ']);
});

test('pcre flags', () => {
  check('pcre:"/abc/";', ['xabcx'], ['ABC']);
  check('pcre:"/abc/i";', ['xABCx'], ['ab']);
  check('pcre:"/a.c/s";', ['a\nc'], []);
  check('pcre:"/a.c/";', ['abc'], ['a\nc']);
  check('pcre:"/^b/m";', ['a\nb'], ['ab']);
  check('pcre:"/a b c # comment/x";', ['abc'], ['a b c']);
  check('pcre:"/cd/A";', ['cdab'], ['abcd']);
  check('pcre:"/abc$/";', ['abc', 'abc\n'], ['abc\nx']);
  check('pcre:"/abc$/E";', ['abc'], ['abc\n']);
  check('pcre:!"/evil/";', ['good'], ['evil']);
  check('pcre:"/x/B"; pcre:"/x/O";', ['x'], []);
});

test('pcre ungreedy moves position', () => {
  // Greedy /a.+b/ ends at the last b; ungreedy ends at the first.
  check('pcre:"/a.+b/G"; content:"X"; within:1;', ['a1bXb'], []);
  check('pcre:"/a.+b/"; content:"X"; within:1;', [], ['a1bXb']);
});

test('pcre relative anchors after match', () => {
  check('content:"ab"; pcre:"/^cd/R";', ['abcd'], ['abxcd']);
  // The first "ab" is not followed by "cd"; the content is retried.
  check('content:"ab"; pcre:"/^cd/R";', ['abxabcd'], []);
  check('pcre:"/a./"; content:"Z"; within:1;', ['axaxZ', 'axZa'], ['axxZ']);
});

test('pcre retried before relative content', () => {
  // The first /a\d/ match is not followed by Z; the second is.
  check('pcre:"/a\\d/"; content:"Z"; within:1;', ['a1a2Z'], ['a1xZa']);
});

test('pcre high bytes match exactly', () => {
  check('pcre:"/A\\xff\\x80B/";', ['A\xff\x80B'], ['A\xfe\x80B', 'A\xc3\xbfB']);
  check('pcre:"/^[\\x80-\\xff]{2}$/";', ['\x80\xff'], ['\x7f\xff', '\x80\xff\x80']);
  check('pcre:"/\\xe9/";', ['\xe9'], ['\xc3\xa9']);
});

test('pcre multibyte payload offsets', () => {
  // U+00E9 in UTF-8 is two bytes (C3 A9): "." matches one byte only.
  check('pcre:"/A.B/";', ['A\xffB'], ['A\xc3\xa9B']);
  check('pcre:"/A..B/";', ['A\xc3\xa9B'], []);
  // The match ends at byte 3, where "B" must start.
  check('pcre:"/\\xc3\\xa9/"; content:"B"; within:1;', ['\xc3\xa9B'], ['\xc3\xa9xB']);
  check('content:"|c3 a9|"; pcre:"/^B/R";', ['x\xc3\xa9B'], ['x\xc3\xa9xB']);
});

test('pcre literal utf8 in pattern', () => {
  // A literal é in the rule stands for its UTF-8 bytes C3 A9.
  check('pcre:"/é/";', ['\xc3\xa9'], ['\xe9']);
});

test('latin1 text cached per packet', () => {
  const ctx = new InspectContext();
  const bytes = Uint8Array.of(0x41, 0xff, 0x80);
  const first = ctx.latin1(bytes, 0, 3);
  assert.equal(first, 'A\xff\x80');
  assert.equal(ctx.latin1(bytes, 0, 3), first);
  bytes[0] = 0x42;
  // Same packet: the cached text stays; the next packet converts again.
  assert.equal(ctx.latin1(bytes, 0, 3), 'A\xff\x80');
  ctx.beginPacket();
  assert.equal(ctx.latin1(bytes, 0, 3), 'B\xff\x80');
  assert.equal(ctx.latin1(bytes, 1, 2), '\xff\x80');
});

test('pkt_data keeps the payload chain', () => {
  check('content:"a"; pkt_data; content:"b"; distance:0;', ['ab'], ['ba']);
});

test('negated content negative distance', () => {
  // Suricata's example: alert unless the Firefox version is 3.6.13.
  const body =
    'content:"User-Agent|3A| Mozilla/5.0 |28|Windows|3B| "; content:"Firefox/3."; distance:0; content:!"Firefox/3.6.13"; distance:-10;';
  check(body, ['User-Agent: Mozilla/5.0 (Windows; U; en) Firefox/3.5.1'], ['User-Agent: Mozilla/5.0 (Windows; U; en) Firefox/3.6.13']);
});

test('byte_test string relative example', () => {
  // Four digits starting one byte after "foobar".
  check('content:"foobar"; byte_test:4,=,1337,1,relative,string,dec;', ['foobar 1337'], ['foobar1337', 'foobar 1338']);
});

test('byte_math bytes from variable', () => {
  // byte_extract reads 2, so byte_math reads the two bytes 01 00 = 256 and adds 1.
  check('byte_extract:1,0,n; byte_math:bytes n, offset 1, oper +, rvalue 1, result r; byte_test:2,=,r,3;', ['\x02\x01\x00\x01\x01'], ['\x02\x01\x00\x01\x00']);
});

test('bsize buffer length', () => {
  check('content:"google.com"; bsize:10;', ['google.com'], ['google.com.', 'xgoogle.com']);
  check('bsize:<3;', ['ab'], ['abc']);
  check('bsize:>=3;', ['abc', 'abcd'], ['ab']);
  check('bsize:>3;', ['abcd'], ['abc']);
  check('bsize:<=3;', ['abc'], ['abcd']);
  check('bsize:=2;', ['ab'], ['abc']);
  // Ranges include both ends.
  check('bsize:2<>4;', ['ab', 'abc', 'abcd'], ['a', 'abcde']);
});

test('pcre large repeat matches', () => {
  const long = "'" + 'x'.repeat(1075);
  check("pcre:\"/\\x27[^\\x27]{1075,}/\";", [long, long + 'yy'], [long.slice(0, -1), "'" + 'x'.repeat(500) + "'" + 'x'.repeat(600)]);
});

test('byte_test zero count string', () => {
  // A count of 0 reads every digit from the position on.
  check('byte_test:0,=,12345,0,string,dec;', ['12345', '12345x'], ['1234', '123456']);
  check('content:"len="; byte_test:0,<,1000,0,relative,string,dec;', ['len=999;'], ['len=1000;', 'len=;']);
});

test('retry skips absolute keyword between', () => {
  // "b" depends on "a" across the absolute isdataat, so "a" is retried.
  check('content:"a"; isdataat:1; content:"b"; within:2;', ['axxab'], ['axxa']);
  // The relative byte_extract depends on "a", so a failure further on
  // retries "a" at its next occurrence.
  check('content:"a"; byte_extract:1,0,v,relative; byte_test:1,=,7,0,relative;', ['a\x01\x07', 'a\x01\x01a\x01\x07'], ['a\x01\x01']);
  // Between contents with only distance there is no retry.
  check('content:"a"; isdataat:1; content:"b"; distance:2;', ['axxb'], ['axb']);
});

test('pcre nocase folds ASCII only', () => {
  // PCRE without UTF mode folds ASCII letters only: 0xe9 and 0xc9 differ.
  check('pcre:"/caf\\xe9/i";', ['CAF\xe9', 'caf\xe9'], ['caf\xc9']);
  check('pcre:"/é/i";', ['\xc3\xa9'], ['\xc3\x89']);
  check('pcre:"/[\\x80-\\xff]\\xe9+/i";', ['\x80\xe9\xe9'], ['\x80\xc9']);
});

test('byte_jump zero count relative', () => {
  // Nothing is read: the position moves 7 bytes back from the end of the content.
  const body = 'content:"|01 e8 ed 0f 54|"; byte_jump:0,0,relative,post_offset -7; pcre:"/^\\xe0\\x3a\\x01\\xe8\\xed\\x0f\\x54/R";';
  check(body, ['\x7c\xe0\x3a\x01\xe8\xed\x0f\x54'], ['\x7c\xe1\x3a\x01\xe8\xed\x0f\x54']);
});
