// caller.js: what a Node.js program of a kagi user does, for the interop
// tests in internal/interop (jssdk_test.go). It makes STS GetCallerIdentity
// calls through one client of the AWS SDK for JavaScript and reports what
// happened as one JSON line on stdout.
//
//   node caller.js SDK PROVIDER SECONDS
//
// SDK is v3 (@aws-sdk/client-sts) or v2 (aws-sdk). PROVIDER is where the
// client gets credentials: "default" (the SDK's own default chain, what
// nearly every program uses), "ini" (v3 fromIni, v2 SharedIniFileCredentials)
// or "process" (v3 fromProcess, v2 ProcessCredentials). SECONDS 0 makes one
// call; otherwise calls are made 200 ms apart until SECONDS have passed, so
// the SDK has to refresh credentials that live a few seconds.
//
// The STS endpoint is AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL, and must be
// on 127.0.0.1 (the emulator): the v2 SDK does not read those variables, so
// both SDKs are given it explicitly, and nothing here can reach AWS.
//
// Output: {"calls":N,"keys":K,"arns":[...],"source":"...","via":"..."}: the
// number of calls, how many different access key IDs signed them (read from
// the Authorization header each request carried), the distinct caller ARNs,
// which credential provider the SDK says it used (v3: the credential feature
// IDs on the credentials; v2: the class the chain resolved) and, for the v3
// default chain, the last provider it tried, from its debug log. No secret
// is printed.
'use strict';

const [sdk, providerName, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
if (!['v3', 'v2'].includes(sdk) || !['default', 'ini', 'process'].includes(providerName) || !(seconds >= 0)) {
  fail(2, 'usage: node caller.js v3|v2 default|ini|process SECONDS');
}
const endpoint = process.env.AWS_ENDPOINT_URL_STS || process.env.AWS_ENDPOINT_URL || '';
if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(endpoint)) {
  fail(2, 'caller.js: the STS endpoint must be the emulator on 127.0.0.1, not ' + JSON.stringify(endpoint));
}

function fail(code, msg) {
  process.stderr.write(msg + '\n');
  process.exit(code);
}

// keyOf returns the access key ID in a SigV4 Authorization header.
function keyOf(authorization) {
  const m = /Credential=([^/]+)\//.exec(authorization || '');
  return m ? m[1] : '';
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// v3 builds a client on @aws-sdk/client-sts; call() makes one request and
// returns [arn, the key that signed it].
function v3() {
  const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
  const providers = require('@aws-sdk/credential-providers');
  // The default chain logs (at debug) each provider it tries; after the
  // first call (the only one that waits for the chain: later refreshes run
  // beside calls) the last one is where it found credentials.
  const tried = [];
  let via;
  const logger = {
    debug: (...args) => {
      const m = /credential-provider-node - (\S+)/.exec(args.map(String).join(' '));
      if (m) tried.push(m[1]);
    },
    info() {}, warn() {}, error() {},
  };
  const config = { endpoint, logger };
  if (providerName === 'ini') config.credentials = providers.fromIni();
  if (providerName === 'process') config.credentials = providers.fromProcess();
  const client = new STSClient(config);
  let signedBy = '';
  // The deserialize step is the innermost: the request there is signed.
  client.middlewareStack.add((next) => async (args) => {
    signedBy = keyOf(args.request.headers.authorization);
    return next(args);
  }, { step: 'deserialize', name: 'kagiInteropSignedBy' });
  return {
    async call() {
      const out = await client.send(new GetCallerIdentityCommand({}));
      if (via === undefined) via = tried.length ? tried[tried.length - 1] : '';
      return [out.Arn, signedBy];
    },
    // The SDK tags credentials with the providers that produced them
    // (credential feature IDs, which also go into the User-Agent); the
    // instance metadata provider of the default chain tags nothing.
    async source() {
      const creds = await client.config.credentials();
      return {
        source: Object.keys((creds && creds.$source) || {}).sort().join(','),
        via,
      };
    },
  };
}

function v2() {
  process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
  const AWS = require('aws-sdk');
  const config = { endpoint };
  if (providerName === 'ini') config.credentials = new AWS.SharedIniFileCredentials();
  if (providerName === 'process') config.credentials = new AWS.ProcessCredentials();
  const sts = new AWS.STS(config);
  return {
    async call() {
      let signedBy = '';
      const req = sts.getCallerIdentity({});
      req.on('send', () => { signedBy = keyOf(req.httpRequest.headers.Authorization); });
      const out = await req.promise();
      return [out.Arn, signedBy];
    },
    // The chain leaves the provider it resolved in the client's config.
    async source() {
      const c = sts.config.credentials;
      return { source: c && c.constructor ? c.constructor.name : '', via: '' };
    },
  };
}

async function main() {
  const client = sdk === 'v3' ? v3() : v2();
  const keys = new Set();
  const arns = new Set();
  let calls = 0;
  const end = Date.now() + seconds * 1000;
  do {
    const [arn, key] = await client.call();
    if (!key) fail(1, 'caller.js: no SigV4 access key in the request');
    keys.add(key);
    arns.add(arn);
    calls++;
    if (seconds > 0) await sleep(200);
  } while (Date.now() < end);
  const { source, via } = await client.source();
  process.stdout.write(JSON.stringify({ calls, keys: keys.size, arns: [...arns], source, via }) + '\n');
}

main().catch((err) => fail(1, 'caller.js ' + sdk + ': ' + (err && err.name) + ': ' + (err && err.message)));
