/** The `api` Cloud Function: the express app (`app.ts`), created on the first request. */
import type { Express } from 'express';
import { onRequest } from 'firebase-functions/v2/https';
import { sendIdSecret } from '../secrets.js';
import { createApp } from './app.js';

let app: Express | undefined;

export const api = onRequest({ secrets: [sendIdSecret] }, (req, res) => {
  app ??= createApp();
  app(req, res);
});
