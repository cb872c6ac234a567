// The one fetch wrapper of the console: JSON in and out, the bearer token, and errors as
// ApiError objects that carry the HTTP status, the API's message and its field errors.

const BASE = '';
const TOKEN_KEY = 'entercrm.token';

let unauthorizedHandler = null;

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, message, errors = {}, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors && typeof errors === 'object' ? errors : {};
    this.retryAfter = retryAfter;
  }
}

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage may be unavailable (private mode); the session then lasts until a reload.
  }
}

/** Called with the ApiError when a request that carried a token answers 401. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

function defaultMessage(status) {
  if (status === 0) return 'Could not reach the server. Check your connection and try again.';
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return 'You do not have permission to do that.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server could not complete the request. Try again shortly.';
  return 'The request could not be completed.';
}

function retryAfterSeconds(response) {
  const value = response.headers.get('Retry-After');
  if (!value) return null;
  const seconds = Number.parseInt(value, 10);
  if (Number.isFinite(seconds)) return Math.max(1, seconds);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(1, Math.ceil((date - Date.now()) / 1000)) : null;
}

/**
 * Sends one request. `body` is sent as JSON; `query` becomes the query string.
 * `keepalive` lets the request outlive the page (a deferred delete sent as it unloads).
 * Resolves with the parsed JSON body (or null), rejects with an ApiError.
 */
export async function request(method, path, { body, query, auth = true, keepalive = false } = {}) {
  let url = BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const text = params.toString();
    if (text) url += (url.includes('?') ? '&' : '?') + text;
  }

  const headers = { Accept: 'application/json' };
  const token = auth ? getToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', keepalive };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, defaultMessage(0));
  }

  let data = null;
  const text = await response.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (response.ok) return data;

  const retryAfter = response.status === 429 ? retryAfterSeconds(response) : null;
  let message = data && typeof data.message === 'string' && data.message ? data.message : defaultMessage(response.status);
  if (response.status === 429 && retryAfter) {
    message = `Too many attempts. Try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`;
  }
  const error = new ApiError(response.status, message, data && data.errors, retryAfter);
  if (response.status === 401 && token && unauthorizedHandler) {
    error.handled = true;
    unauthorizedHandler(error);
  }
  throw error;
}

export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, body, options = {}) => request('POST', path, { ...options, body: body ?? {} }),
  put: (path, body, options = {}) => request('PUT', path, { ...options, body: body ?? {} }),
  del: (path, options) => request('DELETE', path, options),
};
