/*
 * statsd's own UDP server (servers/udp.js of npm `statsd`) plus one setting, `recvBufferSize` (bytes, 0 or absent for
 * the OS default), so that bench/measure-dogstatsd.sh can give statsd the same socket receive buffer it gives
 * Pilotfish (DD_DOGSTATSD_SO_RCVBUF). Like setsockopt(SO_RCVBUF), the kernel caps it at net.core.rmem_max and
 * doubles it.
 */
'use strict';

const dgram = require('dgram');

exports.start = function (config, callback) {
  const options = { type: config.address_ipv6 ? 'udp6' : 'udp4' };
  if (config.recvBufferSize > 0) {
    options.recvBufferSize = config.recvBufferSize;
  }
  const server = dgram.createSocket(options, callback);
  server.bind(config.port || 8125, config.address || undefined);
  this.server = server;
  return true;
};
