/*
 * A statsd (npm `statsd`, Etsy's daemon) backend for bench/measure-dogstatsd.sh. It sends nothing anywhere: at each
 * flush it adds the interval's counters that the benchmark needs to running totals, and the management console's
 * `stats` command prints them (`bench.<name>: <total>`), with the number of flushes and the time of the last one.
 *
 * statsd resets its counters, its own `statsd.metrics_received` (lines parsed, bad ones included),
 * `statsd.packets_received` and `statsd.bad_lines_seen` among them, after every flush, so a total over a run is the
 * sum over the flushes. The benchmark reads it after the load has stopped, the socket's receive queue is empty and
 * one more flush has happened, so no line is left out.
 */
'use strict';

const WATCHED = {
  metrics_received: 'statsd.metrics_received',
  packets_received: 'statsd.packets_received',
  bad_lines_seen: 'statsd.bad_lines_seen',
  check: 'bench.check',
  warmup: 'bench.warmup',
};

function TotalsBackend(startupTime, config, events) {
  this.totals = {};
  for (const name in WATCHED) {
    this.totals[name] = 0;
  }
  this.flushes = 0;
  this.lastFlush = 0;
  this.lastFlushMs = 0;
  this.perFlush = [];
  events.on('flush', (timestamp, metrics) => this.flush(timestamp, metrics));
  events.on('status', (write) => this.status(write));
}

TotalsBackend.prototype.flush = function (timestamp, metrics) {
  const counters = metrics.counters;
  for (const name in WATCHED) {
    this.totals[name] += counters[WATCHED[name]] || 0;
  }
  this.flushes++;
  this.lastFlush = timestamp;
  this.lastFlushMs = Date.now();
  this.perFlush.push(timestamp + ':' + (counters['statsd.metrics_received'] || 0));
};

TotalsBackend.prototype.status = function (write) {
  for (const name in this.totals) {
    write(null, 'bench', name, this.totals[name]);
  }
  write(null, 'bench', 'flushes', this.flushes);
  // "last_*" values are printed by statsd as seconds ago; the raw epoch ms goes under another name
  write(null, 'bench', 'flush_epoch_ms', this.lastFlushMs);
  write(null, 'bench', 'per_flush', this.perFlush.join(','));
};

exports.init = function (startupTime, config, events) {
  new TotalsBackend(startupTime, config, events);
  return true;
};
