// Files the API answers (CSV exports, an import's failed rows): fetched with the session's
// token (a plain link cannot carry it) and handed to the browser as a download. The one
// place the console downloads from the API.

import { getToken } from '../api.js';
import { h } from '../dom.js';

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
