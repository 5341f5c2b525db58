// Where a worker's entry module is. Workers load JavaScript: from the compiled tree that
// is the module's sibling; when the sentry itself runs from TypeScript sources (vitest),
// the compiled sibling is under dist/ (`npm run build:ts` builds it).

export function compiledSiblingUrl(moduleUrl: string, name: string): URL {
  const sibling = new URL(`./${name}.js`, moduleUrl);
  if (!moduleUrl.endsWith('.ts')) return sibling;
  const at = sibling.pathname.lastIndexOf('/src/');
  return new URL(`${sibling.pathname.slice(0, at)}/dist/${sibling.pathname.slice(at + 5)}`, 'file://');
}
