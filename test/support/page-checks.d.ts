/** In-page checks (page-checks.js); each runs in the browser through page.evaluate. */
export function unnamedControls(): string[];
export function lowContrastTexts(): string[];
export function fitsTheWindow(): boolean;
export function markPage(): void;
export function pageIsMarked(): boolean;
