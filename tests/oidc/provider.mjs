// A real OpenID provider for the OAuth tests: panva's oidc-provider, on loopback, offline.
//
//   node provider.mjs <node_modules dir> <port>
//
// Clients (client_credentials, client_secret_post): org-a / secret-a (claim org=acme),
// org-b / secret-b (org=globex). Any resource indicator may be asked for; its access tokens are
// JWTs (RS256) whose audience is that resource, with the scopes zudu:read and/or zudu:write.
// POST /_rotate switches to a new signing key (the old one stays published, as in a real
// rotation); POST /_retire publishes only the newest key. It prints "ready <issuer>" when it listens.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, port] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider', 'lib', 'index.js')).href);
const issuer = `http://127.0.0.1:${port}`;
const organizations = { 'org-a': 'acme', 'org-b': 'globex' };
const clients = Object.keys(organizations).map((id) => ({
  client_id: id,
  client_secret: `secret-${id.slice(-1)}`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_post',
}));

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

function provider(keys) {
  return new Provider(issuer, {
    clients,
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'zudu:read zudu:write',
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (ctx, token) => ({ org: organizations[token.clientId] }),
  });
}

let keys = [newKey()];
let current = provider(keys);
http.createServer((req, res) => {
  if (req.method === 'POST' && (req.url === '/_rotate' || req.url === '/_retire')) {
    keys = req.url === '/_rotate' ? [newKey(), ...keys] : keys.slice(0, 1);
    current = provider(keys);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kid: keys[0].kid }));
    return;
  }
  current.callback()(req, res);
}).listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
