// The 2018 RoomService's launcher for the bench's side-by-side section (bench/sections/side-by-side.ts),
// copied from ../shared/perf/old-server-launch.js so a clone has it. Expects the snapshot's server/ beside it.
// Runs the 2018 RoomService (koa, in-memory) offline: fake `request` for IM/live calls, fresh EC keys.
const Module = require('module');
const crypto = require('crypto');
const path = require('path');
const port = process.env.PORT || '5858';
const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const fakeRequest = {
  post(o, cb) { setImmediate(() => cb(null, { statusCode: 200 }, JSON.stringify({ ActionStatus: 'OK', ErrorCode: 0 }))); },
  get(o, cb) { setImmediate(() => cb(null, { statusCode: 200 }, JSON.stringify({ ret: 0, output: [{ status: 1 }] }))); },
};
const origLoad = Module._load;
Module._load = function (req, parent, isMain) {
  if (req === 'request') return fakeRequest;
  const m = origLoad.apply(this, arguments);
  if (req === '../config' || req === '../config.js' || req === './config') {
    m.port = port;
    m.live.appID = 1250000000; m.live.bizid = 8888; m.live.pushSecretKey = 'e12c46f2612d5106e2034781ab261ca3'; m.live.APIKey = '40328529ca4381a80c6ecf2e6aa57438';
    m.im.sdkAppID = 1400000000; m.im.accountType = '36862'; m.im.administrator = 'administrator';
    m.im.privateKey = privateKey.export({ type: 'pkcs8', format: 'pem' });
    m.im.publicKey = publicKey.export({ type: 'spki', format: 'pem' });
  }
  return m;
};
process.chdir(path.join(__dirname, 'server'));
require(path.join(__dirname, 'server', 'app.js'));
console.log('old server on ' + port);
