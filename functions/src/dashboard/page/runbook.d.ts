/** Markdown files, bundled as their text (esbuild's text loader, build.mjs): the runbook for advice.ts. */
declare module '*.md' {
  const text: string;
  export default text;
}
