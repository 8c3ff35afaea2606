/**
 * `Consumer.mutatesAttributes`: who may change attribute lists in place, as consumers and fan-out report it. (The
 * end-to-end check, scrape -> relabel sharing the receiver's lists, is in test/prometheus-receiver/gateway.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fanOut } from '../../src/consumer/fanout.ts';
import { mutatesAttributes, type Consumer } from '../../src/consumer/consumer.ts';

const sink = (mutatesData: boolean, attrs?: boolean): Consumer => ({ mutatesData, ...(attrs === undefined ? {} : { mutatesAttributes: attrs }), consume: async () => {} });

test('absent mutatesAttributes means mutatesData', () => {
  assert.equal(mutatesAttributes(sink(true)), true);
  assert.equal(mutatesAttributes(sink(false)), false);
  assert.equal(mutatesAttributes(sink(true, false)), false);
});

test('fan-out: the last mutating consumer gets the original data, so its attribute behaviour is the fan-out\'s', () => {
  assert.equal(mutatesAttributes(fanOut([sink(false), sink(false)])), false);
  assert.equal(mutatesAttributes(fanOut([sink(false), sink(true)])), true);
  assert.equal(mutatesAttributes(fanOut([sink(false), sink(true, false)])), false);
  assert.equal(mutatesAttributes(fanOut([sink(true, false), sink(true)])), true);
});
