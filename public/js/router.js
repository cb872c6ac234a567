// The hash router: #/path?query. Hashes that are not routes (#main) are left alone.

/** {path, query} of a location hash. */
export function parseHash(hash = location.hash) {
  const text = hash.replace(/^#/, '');
  if (!text.startsWith('/')) return null;
  const index = text.indexOf('?');
  const path = (index === -1 ? text : text.slice(0, index)).replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(index === -1 ? '' : text.slice(index + 1));
  return { path, query };
}

/** Goes to a route; `replace` leaves no history entry for the current one. */
export function navigate(path, { replace = false } = {}) {
  const hash = `#${path}`;
  if (location.hash === hash) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else if (replace) {
    location.replace(hash);
  } else {
    location.hash = hash;
  }
}

/** Calls `onRoute(route)` now and on every change of route. */
export function startRouter(onRoute) {
  const run = () => {
    const route = parseHash();
    if (route) onRoute(route);
  };
  window.addEventListener('hashchange', run);
  if (!parseHash()) history.replaceState(history.state, '', '#/');
  run();
}
