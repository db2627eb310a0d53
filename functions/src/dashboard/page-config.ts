/**
 * What the dashboard page is told by the server that serves it (inlined into its HTML): where to
 * sign in and where the callables are, and the Content-Security-Policy that allows exactly those.
 *
 * Against the Firebase emulators (FIREBASE_AUTH_EMULATOR_HOST set) the page signs in at the Auth
 * emulator, which takes any API key, and calls the callables on the Functions emulator that
 * serves the page itself. In a deployment it signs in at Firebase Auth with DASHBOARD_API_KEY and
 * calls `https://REGION-PROJECT.cloudfunctions.net/<callable>`. A deployment never has the
 * emulator variable: the functions refuse to run with it.
 */
import type { FunctionsConfig } from '@wasync/shared';
import type { DashboardPageConfig } from './contract.js';

/** How often the page asks for the accounts (see README: why polling). */
export const POLL_MS = 2_000;
/** The Auth emulator takes any key; the SDK wants one. */
const EMULATOR_API_KEY = 'emulator';

export function dashboardPageConfig(config: FunctionsConfig, projectId: string): DashboardPageConfig {
  const authEmulatorUrl = config.authEmulatorHost ? `http://${config.authEmulatorHost}` : undefined;
  const apiKey = config.dashboardApiKey ?? (authEmulatorUrl ? EMULATOR_API_KEY : undefined);
  return {
    projectId,
    region: config.functionsRegion,
    pollMs: POLL_MS,
    ...(apiKey ? { apiKey } : {}),
    ...(authEmulatorUrl ? { authEmulatorUrl } : {}),
  };
}

/**
 * The page's Content-Security-Policy: its own scripts, styles and API only, QR images as data:
 * URLs, and connections to the sign-in service and the callables; no framing, no inline script.
 */
export function contentSecurityPolicy(page: DashboardPageConfig): string {
  const connect = page.authEmulatorUrl
    ? [page.authEmulatorUrl]
    : [
        'https://identitytoolkit.googleapis.com',
        'https://securetoken.googleapis.com',
        `https://${page.region}-${page.projectId}.cloudfunctions.net`,
      ];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
