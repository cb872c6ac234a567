// Files the API answers (CSV exports, an import's failed rows): fetched with the session's
// token (a plain link cannot carry it) and handed to the browser as a download. The one
// place the console downloads from the API.

import { getToken } from '../api.js';
import { h, icon } from '../dom.js';
import { permit } from './permit.js';
import { toast } from './toast.js';

/** Downloads `path` (with `query`) as `filename`; rejects with a message on an error answer. */
export async function download(path, filename, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const url = params.toString() ? `${path}?${params}` : path;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${getToken()}` }, cache: 'no-store' });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error(body?.message || `The download failed (${response.status}).`);
  }
  const link = h('a', { href: URL.createObjectURL(await response.blob()), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

/**
 * An "Export CSV" button for a list: `query()` gives the list's current filters, sort and
 * columns when clicked. Disabled, with the reason, for roles that may not call `route`.
 */
export function exportButton({ path, route, filename, query = () => ({}), label = 'Export CSV', doing = 'export lists' }) {
  const button = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'export' } },
    icon('download'), h('span', { text: label }));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await download(path, filename, query());
      toast('Export downloaded.');
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return permit(button, route, doing);
}
