/** Reads a QR code from a PNG (a screenshot of it) with jsQR, in pure JS. */
import { createRequire } from 'node:module';
import { PNG } from 'pngjs';

// jsQR is CommonJS whose types declare an ES default export; require() gives the function itself.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

/** The QR code's text, or undefined when the image holds none that decodes. */
export function decodeQrPng(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return jsQR(pixels, image.width, image.height)?.data;
}
