// The dev stack's and the tests' OpenID provider: the certified `oidc-provider`, so the
// inbox's sign-in is tried against the real protocol (discovery, authorization code
// with PKCE, signed ID tokens, nonce), never a mock of it.
//
// node provider.mjs CONFIG.json, where CONFIG holds
//   {"port": 9000, "issuer": "http://127.0.0.1:9000",
//    "clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//    "accounts": {"SUBJECT": {"password", "amr": ["pwd", "mfa"], "claims": {"name", "roles": [...]}}}}
// Its own sign-in page asks for a subject and a password from `accounts`; it never asks
// for consent (the inbox is the body's own application). Prints "listening" when ready.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  async findAccount(ctx, sub) {
    if (!accounts[sub]) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...accounts[sub].claims }) };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    roles: ['roles', 'groups'],
  },
  // The claims go in the ID token, as Entra ID puts app roles there.
  conformIdTokenClaims: false,
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: [config.cookie_key || 'dev-only-not-a-secret'] },
  pkce: { required: () => true },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, IdToken: 600, AccessToken: 600, AuthorizationCode: 60 },
});
// The dev provider is served over plain HTTP on loopback.
provider.proxy = false;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev identity provider: sign in</title></head>
<body><main><h1>Dev identity provider</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Subject</label> <input id="login" name="login" autocomplete="username" required>
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session, grantId } = details;
  if (prompt.name === 'consent') {
    // First-party: whatever the inbox asks for is granted.
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'POST' && req.url.endsWith('/login')) {
    const form = await body(req);
    const account = accounts[form.get('login')];
    if (!account || account.password !== form.get('password')) {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' }).end(page(uid, 'Unknown subject or wrong password.'));
      return;
    }
    const login = { accountId: form.get('login'), amr: account.amr || ['pwd'] };
    await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(uid));
}

const callback = provider.callback();
http
  .createServer((req, res) => {
    if (!req.url.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    interaction(req, res).catch((err) => {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${err.name}: ${err.message}`);
    });
  })
  .listen(config.port, '127.0.0.1', () => console.log('listening'));
