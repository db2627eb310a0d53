/**
 * A real browser for page tests: playwright-core driving Debian's Chromium (`apt-get install
 * chromium`; `.ci/run` installs it when missing). Nothing is downloaded: playwright-core ships no
 * browser, and this never asks it for one. Each launch gets a fresh profile directory, removed on
 * close, so no sign-in or cache leaks between runs.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Where Debian's package puts it; CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet and offline: no GPU, no QUIC, no first-run, update, sync or background traffic. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'wasync-chromium-'));
  // launchPersistentContext passes `profile` as --user-data-dir (plain launch() refuses that flag).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 30_000,
  });
  // tsx compiles with esbuild's keepNames, which wraps functions in calls to a `__name` helper;
  // functions handed to page.evaluate() run in the page, which has none.
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
