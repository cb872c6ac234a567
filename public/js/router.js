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

let leaveGuard = null;
let forced = false;

/**
 * `guard`: { blocks() → bool, ask() → Promise<bool> }: asked before the route changes (a form
 * with unsaved changes); when it blocks, the address goes back until `ask` says leave.
 */
export function setLeaveGuard(guard) {
  leaveGuard = guard;
}

/** Goes to a route; `replace` leaves no history entry for the current one; `force` skips the leave guard. */
export function navigate(path, { replace = false, force = false } = {}) {
  const hash = `#${path}`;
  if (force) forced = true;
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
  let current = location.hash;
  let asking = false;
  const run = () => {
    const target = location.hash;
    const skip = forced;
    forced = false;
    if (!skip && target !== current && leaveGuard && parseHash(target) && parseHash(current) && leaveGuard.blocks()) {
      // Put the address back: the page stays as it is until the user chooses to leave.
      history.replaceState(history.state, '', current);
      if (asking) return;
      asking = true;
      leaveGuard.ask().then((leave) => {
        asking = false;
        if (leave) navigate(target.replace(/^#/, ''), { force: true });
      });
      return;
    }
    current = target;
    const route = parseHash();
    if (route) onRoute(route);
  };
  window.addEventListener('hashchange', run);
  if (!parseHash()) history.replaceState(history.state, '', '#/');
  current = location.hash;
  run();
}
