/**
 * App Check on the callables: off by default, on with FUNCTIONS_ENFORCE_APP_CHECK. The callables
 * are served over HTTP here exactly as the runtime calls them (firebase-functions' own request
 * handling: token checks, then ours), with real ID tokens from the Auth emulator.
 */
import assert from 'node:assert/strict';
import { parseFunctionsConfig } from '@wasync/shared';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { authedCallable } from '../../src/callables/authed-callable.ts';
import { callableOptions } from '../../src/deploy-options.ts';
import { newUser, type Persona } from '../support/fixtures.ts';

/** A callable made like every other, with the App Check option `env` configures. */
function served(env: Record<string, string>) {
  const fn = authedCallable(
    'probe',
    z.object({}).strict(),
    async () => ({ ok: true }),
    callableOptions(parseFunctionsConfig(env)),
  );
  return express().post('/probe', express.json(), (req, res) => fn(req as never, res));
}

describe('callables: App Check', function () {
  this.timeout(60_000);
  let user: Persona;
  before(async function () {
    this.timeout(180_000);
    user = await newUser('app-check');
  });
  const call = (app: express.Express, appCheckToken?: string) => {
    const test = request(app).post('/probe').set('Authorization', `Bearer ${user.idToken}`);
    if (appCheckToken) test.set('X-Firebase-AppCheck', appCheckToken);
    return test.send({ data: {} });
  };

  it('is off by default: a request without an App Check token is served', async () => {
    const res = await call(served({}));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { result: { ok: true } });
  });

  it('with FUNCTIONS_ENFORCE_APP_CHECK=true refuses requests without a valid App Check token', async () => {
    const app = served({ FUNCTIONS_ENFORCE_APP_CHECK: 'true' });
    for (const token of [undefined, 'not-a-token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhcHAifQ.']) {
      const res = await call(app, token);
      assert.equal(res.status, 401, `${token}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.status, 'UNAUTHENTICATED');
    }
  });
});
