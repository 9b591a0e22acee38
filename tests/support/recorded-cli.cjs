'use strict';
/**
 * Preloaded (`node --require`) into a command-line process under test (the
 * real `serverless` binary, `npm run deploy`): installs the toolkit recorder
 * (toolkit-recorder.ts) so every Tencent Cloud API call is recorded and
 * answered by the fake, refuses and records every other attempt to open a
 * network connection (the Framework's telemetry, notifications, dashboard),
 * and writes what it saw to RECORDER_OUT when the process exits.
 *
 *   RECORDER_STATE  a JSON file holding the fake's state: read at start (when
 *                   present), written back at exit, so a second process sees
 *                   the functions the first one deployed.
 *   RECORDER_OUT    where to write {calls, attempts}.
 */
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const http = require('node:http');
const https = require('node:https');

require('tsx/cjs/api').register();
const { installToolkitRecorder } = require('./toolkit-recorder.ts');

const stateFile = process.env.RECORDER_STATE;
const state = stateFile && existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : undefined;
const recorder = installToolkitRecorder({ appId: '1250000000', state });
if (process.env.RECORDER_LOG_LINES) {
  for (const [name, lines] of Object.entries(JSON.parse(process.env.RECORDER_LOG_LINES))) recorder.logLines.set(name, lines);
}

/** Every connection attempt that is not the recorder's: host:port or the URL. */
const attempts = [];
const refused = () => new Error('a recorder test tried to reach the network');
const describe = (args) => {
  const [first, second] = args;
  if (typeof first === 'string' || first instanceof URL) return String(first);
  if (first && typeof first === 'object') return `${first.protocol ?? ''}//${first.hostname ?? first.host ?? first.path ?? '?'}${first.port ? `:${first.port}` : ''}${typeof second === 'string' ? second : ''}`;
  return String(first);
};
for (const [module, name] of [[http, 'request'], [http, 'get'], [https, 'request'], [https, 'get']]) {
  module[name] = (...args) => {
    attempts.push(describe(args));
    throw refused();
  };
}
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guarded(...args) {
  const target = Array.isArray(args[0]) ? args[0][0] : args[0];
  // A local socket (a pipe path) is no network: esbuild and IPC may use them.
  if (target && typeof target === 'object' && target.path) return connect.apply(this, args);
  if (typeof target === 'string' && Number.isNaN(Number(target))) return connect.apply(this, args);
  attempts.push(describe(args));
  process.nextTick(() => this.destroy(refused()));
  return this;
};

process.on('exit', () => {
  if (stateFile) writeFileSync(stateFile, JSON.stringify(recorder.exportState()));
  if (process.env.RECORDER_OUT) writeFileSync(process.env.RECORDER_OUT, JSON.stringify({ calls: recorder.calls, attempts }));
});
