// Checks that run inside a page (handed to playwright's page.evaluate). Plain JavaScript: the
// test TypeScript project has no DOM types, and these use nothing else. Types: page-checks.d.ts.

/** Visible controls and images a screen reader could not name: no label, aria-label, text or alt. */
export function unnamedControls() {
  return [...document.querySelectorAll('input, select, button, progress, img, summary')]
    .filter((el) => el.getClientRects().length > 0)
    .filter((el) => {
      if (el instanceof HTMLImageElement) return el.alt.trim() === '';
      if (el.labels && el.labels.length > 0) return false;
      return !(el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
    })
    .map((el) => el.outerHTML.slice(0, 100));
}

/** Visible text whose colour on its background is below WCAG AA's 4.5:1. */
export function lowContrastTexts() {
  const rgb = (css) => (css.match(/[\d.]+/g) ?? []).map(Number);
  const linear = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const luminance = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!hasText || el.getClientRects().length === 0) continue;
    const fg = luminance(rgb(getComputedStyle(el).color));
    const bg = luminance(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) bad.push(`${ratio.toFixed(2)} ${el.tagName} ${el.textContent.trim().slice(0, 40)}`);
  }
  return bad;
}

/** Whether the page is no wider than the window (no sideways scrolling on a phone). */
export function fitsTheWindow() {
  return document.documentElement.scrollWidth <= window.innerWidth;
}

/** Marks the page, so a test can tell a later read comes from the same page (no reload). */
export function markPage() {
  window.stillThisPage = true;
}

export function pageIsMarked() {
  return window.stillThisPage === true;
}
