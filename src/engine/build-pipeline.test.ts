import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load-config.js';
import { defaultHttpConfig } from '../app/http/state.js';
import { httpConfigOf } from './build-pipeline.js';

test('http limits default to libhtp values', () => {
  const { config } = loadConfig(null, []);
  assert.deepEqual(httpConfigOf(config), defaultHttpConfig());
});

test('http limits from app-layer settings', () => {
  const { config } = loadConfig(null, [
    'app-layer.protocols.http.libhtp.default-config.response-body-limit=1mb',
    'app-layer.protocols.http.libhtp.default-config.request-body-limit=4kb',
    'app-layer.protocols.http.max-tx=16',
  ]);
  const http = httpConfigOf(config);
  assert.equal(http.responseBodyLimit, 1024 * 1024);
  assert.equal(http.requestBodyLimit, 4096);
  assert.equal(http.maxTransactions, 16);
});
