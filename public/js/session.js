// The signed-in state: the token (in localStorage, through api.js) and /v1/auth/me.

import { api, getToken, setToken } from './api.js';

const listeners = new Set();

export const session = {
  /** The last /v1/auth/me answer: {user, tenant, role, workspaces}, or null. */
  me: null,

  get signedIn() {
    return Boolean(getToken());
  },

  /** Can the current role manage members, teams and keys? */
  get canManage() {
    return this.me?.role === 'owner' || this.me?.role === 'admin';
  },

  /** Calls `listener(me)` whenever `me` changes. */
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  async refresh() {
    const me = await api.get('/v1/auth/me');
    this.me = normaliseMe(me);
    for (const listener of listeners) listener(this.me);
    return this.me;
  },

  /** Keeps a new token (login, registration, switch) and loads the account. */
  async start(token) {
    setToken(token);
    return this.refresh();
  },

  /** Revokes the token on the server (best effort) and forgets it. */
  async signOut() {
    if (getToken()) {
      try {
        await api.post('/v1/auth/logout', {});
      } catch {
        // The token is forgotten either way.
      }
    }
    this.clear();
  },

  clear() {
    setToken(null);
    this.me = null;
    for (const listener of listeners) listener(null);
  },

  async switchWorkspace(slug) {
    const result = await api.post('/v1/auth/switch', { workspace: slug });
    return this.start(result.token);
  },
};

function normaliseMe(me) {
  const workspaces = Array.isArray(me?.workspaces) ? me.workspaces : [];
  const tenant = me?.tenant || {};
  if (tenant.slug && !workspaces.some((workspace) => workspace.slug === tenant.slug)) {
    workspaces.unshift({ ...tenant, role: me.role });
  }
  return { user: me?.user || {}, tenant, role: me?.role || 'member', workspaces };
}
