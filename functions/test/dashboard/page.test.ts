/**
 * `GET /api/whatsapp/dashboard` serves the built page without a token: HTML with its configuration
 * inlined, a Content-Security-Policy naming exactly the sign-in and callable origins, and assets
 * under content-hashed names (cached for good, gzipped when asked). The page's configuration
 * comes from the functions' environment: the Auth emulator when it is set, DASHBOARD_API_KEY and
 * Firebase Auth otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFunctionsConfig } from '@wasync/shared';
import express from 'express';
import request from 'supertest';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import type { DashboardPageConfig } from '../../src/dashboard/contract.ts';
import { DASHBOARD_ASSETS_DIR, mountDashboardPage } from '../../src/dashboard/page.ts';
import { contentSecurityPolicy, dashboardPageConfig } from '../../src/dashboard/page-config.ts';
import { testApi } from '../support/api.ts';

function inlinedConfig(html: string): DashboardPageConfig {
  const json = /<script type="application\/json" id="dashboard-config">(.*?)<\/script>/s.exec(html)?.[1];
  assert.ok(json, 'the page inlines its configuration');
  return JSON.parse(json);
}

describe('dashboard: the page', function () {
  this.timeout(60_000);
  const api = testApi();

  before(function () {
    this.timeout(120_000);
    execFileSync(process.execPath, ['functions/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  });

  it('serves the HTML without a token, with its configuration, security headers and no caching', async () => {
    const res = await request(api.app).get('/api/whatsapp/dashboard');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(String(res.headers['content-security-policy']), /script-src 'self';/);
    assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
    const config = inlinedConfig(res.text);
    assert.equal(config.pollMs, 2000);
    assert.equal(config.region, 'us-central1');
    assert.doesNotMatch(res.text, /%(CONFIG|APP_JS|CSS)%/);
    // The same page where Cloud Functions strip the function's name from the path.
    assert.equal((await request(api.app).get('/whatsapp/dashboard')).status, 200);
  });

  it('sends a trailing slash back to the page, whose relative links need its own path', async () => {
    const res = await request(api.app).get('/api/whatsapp/dashboard/');
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, '../dashboard');
  });

  it('serves the assets the HTML names, immutable under their hash, gzipped when asked', async () => {
    const html = (await request(api.app).get('/api/whatsapp/dashboard')).text;
    const names = [...html.matchAll(/(?:src|href)="(dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(
      names.map((n) => n.replace(/\?v=[0-9a-f]{16}$/, '')),
      ['dashboard/assets/dashboard.css', 'dashboard/assets/app.js'],
    );
    for (const name of names) {
      const file = name.replace(/^dashboard\/assets\//, '').replace(/\?.*/, '');
      const built = readFileSync(join(DASHBOARD_ASSETS_DIR, file));
      const plain = await request(api.app).get(`/api/whatsapp/${name}`).set('Accept-Encoding', 'identity');
      assert.equal(plain.status, 200, name);
      assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(plain.headers['x-content-type-options'], 'nosniff');
      assert.match(String(plain.headers['content-type']), file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.equal(plain.headers['content-encoding'], undefined);
      const gz = await request(api.app)
        .get(`/api/whatsapp/${name}`)
        .set('Accept-Encoding', 'gzip')
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      // superagent decodes the body; what went over the wire is the Content-Length.
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      assert.ok(Number(gz.headers['content-length']) < built.length / 2, `${name}: sent compressed`);
      assert.ok(built.equals(gz.body as Buffer), `${name}: decompressed, the built file`);
    }
    const stale = await request(api.app).get('/api/whatsapp/dashboard/assets/app.js?v=0000000000000000');
    assert.equal(stale.headers['cache-control'], 'no-cache');
    assert.equal((await request(api.app).get('/api/whatsapp/dashboard/assets/index.html')).status, 404);
    assert.equal((await request(api.app).post('/api/whatsapp/dashboard/assets/app.js')).status, 404);
  });

  it('names the Auth emulator when the functions run against it, and lets the page connect only there', () => {
    const config = dashboardPageConfig(
      parseFunctionsConfig({ FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099' }),
      'demo-x',
    );
    assert.deepEqual(config, {
      projectId: 'demo-x',
      region: 'us-central1',
      pollMs: 2000,
      apiKey: 'emulator',
      authEmulatorUrl: 'http://127.0.0.1:9099',
    });
    assert.match(contentSecurityPolicy(config), /connect-src 'self' http:\/\/127\.0\.0\.1:9099;/);
  });

  it('in a deployment, signs in with DASHBOARD_API_KEY at Firebase Auth and calls the callables of its region', async () => {
    const key = 'AIzaSyTest-0123456789abcdefghijklmnopqr';
    const config = dashboardPageConfig(
      parseFunctionsConfig({ DASHBOARD_API_KEY: key, FUNCTIONS_REGION: 'europe-west1' }),
      'shop-prod',
    );
    assert.deepEqual(config, { projectId: 'shop-prod', region: 'europe-west1', pollMs: 2000, apiKey: key });
    const app = express();
    mountDashboardPage(app, '/api/whatsapp', { pageConfig: () => config });
    const res = await request(app).get('/api/whatsapp/dashboard');
    assert.equal(
      res.headers['content-security-policy'],
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://identitytoolkit.googleapis.com https://securetoken.googleapis.com https://europe-west1-shop-prod.cloudfunctions.net; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    assert.deepEqual(inlinedConfig(res.text), config);
  });

  it('without DASHBOARD_API_KEY outside the emulators, the page gets no key (it says it is not configured)', () => {
    assert.equal(dashboardPageConfig(parseFunctionsConfig({}), 'shop-prod').apiKey, undefined);
  });

  it('never lets data close the configuration block', async () => {
    const app = express();
    const config = { projectId: '</script><script>alert(1)</script>', region: 'r', pollMs: 1 };
    mountDashboardPage(app, '/x', { pageConfig: () => config });
    const res = await request(app).get('/x/dashboard');
    assert.doesNotMatch(res.text, /<\/script><script>alert/);
    assert.deepEqual(inlinedConfig(res.text), config);
  });
});
