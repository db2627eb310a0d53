/**
 * Serves the dashboard page: `GET /api/whatsapp/dashboard` (HTML, no token needed — the page signs
 * in by itself) and its two assets under `/api/whatsapp/dashboard/assets/` (the script and the
 * stylesheet). All three are files `functions/build.mjs` writes into `lib/dashboard/` at build
 * time (the script bundled by esbuild from `page/` and npm packages): nothing is fetched from
 * anywhere at run time, and they deploy with the bundle.
 *
 * The HTML carries the page's configuration as a JSON data block and names the assets with a hash
 * of their content (`?v=`), so they can be cached for good while the HTML is revalidated.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { AppError } from '@wasync/shared';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { projectID } from 'firebase-functions/params';
import { config } from '../config.js';
import type { DashboardPageConfig } from './contract.js';
import { contentSecurityPolicy, dashboardPageConfig } from './page-config.js';

/**
 * `lib/dashboard/`, beside the deployed bundle (`lib/index.js`). Tests run this file from `src/`
 * under tsx; they read the same built copy.
 */
export const DASHBOARD_ASSETS_DIR = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../../lib/dashboard/' : './dashboard/', import.meta.url),
);

const ASSET_TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

interface Asset {
  body: Buffer;
  /** The body gzipped once at load (the script shrinks from ~180 kB to ~60 kB; phones on mobile data). */
  gzipped: Buffer;
  type: string;
  version: string;
}

export interface DashboardPageOptions {
  assetsDir?: string;
  /** Defaults to the functions' configuration and project. */
  pageConfig?: () => DashboardPageConfig;
  /** Middleware that records which route a request took, for its log line (api/app.ts). */
  noteRoute?: (template: string) => RequestHandler;
}

/** Registers the page (a route, documented in the OpenAPI document) and its assets (static files). */
export function mountDashboardPage(app: Express, base: string, options: DashboardPageOptions = {}): void {
  const page = new DashboardPage(options);
  const note = (template: string): RequestHandler[] => (options.noteRoute ? [options.noteRoute(template)] : []);
  app.get(`${base}/dashboard`, ...note(`${base}/dashboard`), (req: Request, res: Response) => page.serveHtml(req, res));
  app.use(`${base}/dashboard/assets`, ...note(`${base}/dashboard/assets/:asset`), (req, res, next) =>
    page.serveAsset(req, res, next),
  );
}

class DashboardPage {
  readonly #dir: string;
  readonly #pageConfig: () => DashboardPageConfig;
  #assets: Map<string, Asset> | undefined;
  #html: { body: string; csp: string } | undefined;

  constructor(options: DashboardPageOptions) {
    this.#dir = options.assetsDir ?? DASHBOARD_ASSETS_DIR;
    this.#pageConfig = options.pageConfig ?? (() => dashboardPageConfig(config(), projectID.value()));
  }

  serveHtml(req: Request, res: Response): void {
    // `…/dashboard/` would resolve the page's relative URLs one level too deep.
    if (req.path.endsWith('/')) {
      res.redirect(301, '../dashboard');
      return;
    }
    const { body, csp } = this.#renderHtml();
    securityHeaders(res, csp);
    res.set('Cache-Control', 'no-cache').type('html').send(body);
  }

  serveAsset(req: Request, res: Response, next: NextFunction): void {
    const asset = req.method === 'GET' || req.method === 'HEAD' ? this.#loadAssets().get(req.path.slice(1)) : undefined;
    if (!asset) {
      next();
      return;
    }
    // Immutable only under the name the current HTML uses; anything else is revalidated.
    const current = req.query.v === asset.version;
    res.set('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.set('X-Content-Type-Options', 'nosniff');
    res.vary('Accept-Encoding');
    if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
      res.set('Content-Encoding', 'gzip').type(asset.type).send(asset.gzipped);
    } else {
      res.type(asset.type).send(asset.body);
    }
  }

  #loadAssets(): Map<string, Asset> {
    this.#assets ??= new Map(
      Object.entries(ASSET_TYPES).map(([name, type]) => {
        const body = readBuilt(this.#dir, name);
        const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
        return [name, { body, gzipped: gzipSync(body), type, version }];
      }),
    );
    return this.#assets;
  }

  #renderHtml(): { body: string; csp: string } {
    if (this.#html) return this.#html;
    const assets = this.#loadAssets();
    const pageConfig = this.#pageConfig();
    const body = readBuilt(this.#dir, 'index.html')
      .toString('utf8')
      .replace('"%CONFIG%"', () => jsonForHtml(pageConfig))
      .replace('%APP_JS%', () => `dashboard/assets/app.js?v=${assets.get('app.js')!.version}`)
      .replace('%CSS%', () => `dashboard/assets/dashboard.css?v=${assets.get('dashboard.css')!.version}`);
    this.#html = { body, csp: contentSecurityPolicy(pageConfig) };
    return this.#html;
  }
}

function readBuilt(dir: string, name: string): Buffer {
  try {
    return readFileSync(join(dir, name));
  } catch (err) {
    throw new AppError('internal', `the dashboard page is not built (${name}): run npm run build`, undefined, {
      cause: err,
    });
  }
}

/** JSON safe inside `<script type="application/json">`: no `</script>`, no `<!--`. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c');
}

function securityHeaders(res: Response, csp: string): void {
  res.set({
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
}
