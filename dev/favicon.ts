// The icon of the local pages (the console, the sandbox's portal pages): without one every page
// load logs a 404 for /favicon.ico. It is an SVG written here rather than a binary file in the
// tree: a few lines of text that review as code, drawn like the Teams app icon (a white bed on
// Brek navy, dev/teams-package.ts), sharp at any size. Browsers take SVG at /favicon.ico too
// when it is served as image/svg+xml.

export const FAVICON_SVG = [
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">',
  '<rect width="32" height="32" rx="6" fill="#1d3557"/>',
  '<g fill="#fff">',
  '<rect x="6" y="9" width="3" height="14"/>', // headboard
  '<rect x="10" y="13" width="5" height="3" rx="1"/>', // pillow
  '<rect x="6" y="16" width="20" height="4"/>', // mattress
  '<rect x="23" y="20" width="3" height="3"/>', // foot
  '</g>',
  '</svg>',
].join('');

/** The paths a browser asks for (the first unprompted, the second from the pages' link). */
export const FAVICON_PATHS: readonly string[] = ['/favicon.ico', '/favicon.svg'];

/** The pages' <link>, for their <head>. */
export const FAVICON_LINK = '<link rel="icon" href="/favicon.svg" type="image/svg+xml">';

export const FAVICON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'image/svg+xml',
  // The same bytes on every start: a day in the browser's cache is harmless.
  'cache-control': 'public, max-age=86400',
};
