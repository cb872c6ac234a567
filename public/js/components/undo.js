// Deletions that can be undone for ten seconds: the row goes at once and a toast offers Undo;
// the DELETE is sent when the ten seconds end, at once when the console goes to another
// route, and (keepalive) when the page is hidden or unloaded. Undo puts the row back and sends
// nothing; a DELETE that fails puts it back with the error.

import { request } from '../api.js';
import { toast } from './toast.js';

export const UNDO_MS = 10000;

const pending = new Map();

/** Whether `path` (the API path of a resource) waits for its deferred DELETE: lists leave it out. */
export function isPendingDelete(path) {
  return pending.has(path);
}

/**
 * Deletes `path` after the undo window. `label`: what is deleted, as the toast names it
 * ("the segment “VIP”"); `hide()`: takes it off the page now; `restore()`: puts it back (Undo,
 * or a failed DELETE); `done()`: after the DELETE succeeded. `send(keepalive)`: what deletes,
 * when it is not a DELETE of `path` (a bulk delete's POST; `path` then only names it).
 */
export function deleteWithUndo({ label, path, hide, restore, done, send }) {
  if (pending.has(path)) return;
  const entry = { label, path, restore, done, send, route: location.hash };
  pending.set(path, entry);
  if (hide) hide();
  entry.toast = toast(`Deleted ${label}.`, 'success', { action: { label: 'Undo', onClick: () => undo(entry) }, duration: UNDO_MS });
  entry.timer = setTimeout(() => commit(entry), UNDO_MS);
}

function settle(entry) {
  if (pending.get(entry.path) !== entry) return false;
  pending.delete(entry.path);
  clearTimeout(entry.timer);
  entry.toast.dismiss();
  return true;
}

function undo(entry) {
  if (!settle(entry)) return;
  if (entry.restore) entry.restore();
  toast(`Kept ${entry.label}.`, 'info');
}

async function commit(entry, keepalive = false) {
  if (!settle(entry)) return;
  try {
    await (entry.send ? entry.send(keepalive) : request('DELETE', entry.path, { keepalive }));
    if (entry.done) entry.done();
  } catch (error) {
    if (error?.name !== 'ApiError') throw error;
    if (!error.handled) toast(`Could not delete ${entry.label}: ${error.message}`, 'error');
    if (entry.restore) entry.restore();
  }
}

/** Sends every waiting DELETE now. */
export function commitPendingDeletes({ keepalive = false } = {}) {
  for (const entry of [...pending.values()]) commit(entry, keepalive);
}

// Going to another route of the console ends the undo window of what the last one deleted.
window.addEventListener('hashchange', () => {
  for (const entry of [...pending.values()]) if (entry.route !== location.hash) commit(entry);
});
window.addEventListener('pagehide', () => commitPendingDeletes({ keepalive: true }));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') commitPendingDeletes({ keepalive: true });
});

/** Draws the current route again (a list a restored row belongs in), if the console is still at `hash`. */
export function redrawRoute(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
}
