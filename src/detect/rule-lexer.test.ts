import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unquoteValue } from './rule-lexer.js';

test('unquote plain and escaped values', () => {
  assert.equal(unquoteValue('"ET POLICY test"'), 'ET POLICY test');
  assert.equal(unquoteValue('""'), '');
  assert.equal(unquoteValue('"a\\;b"'), 'a;b');
  assert.equal(unquoteValue('"say \\"hi\\""'), 'say "hi"');
  assert.equal(unquoteValue('"C:\\\\temp"'), 'C:\\temp');
  assert.equal(unquoteValue('"x\\:y\\\\"'), 'x:y\\');
  assert.equal(unquoteValue('unquoted'), 'unquoted');
});

test('unquote rejects broken quoting', () => {
  assert.equal(unquoteValue('"a"b"'), null);
  assert.equal(unquoteValue('"open'), null);
  assert.equal(unquoteValue('"ends with \\"'), null);
  assert.equal(unquoteValue('half"quoted'), null);
});
