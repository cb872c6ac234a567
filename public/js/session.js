// The signed-in state: the token (in localStorage, through api.js) and /v1/auth/me.

import { api, getToken, setToken } from './api.js';

const listeners = new Set();

export const session = {
  /** The last /v1/auth/me answer: {user, tenant, role, workspaces}, or null. */
  me: null,

  get signedIn() {
    return Boolean(getToken());
  },

  /** The server's permission matrix (GET /v1/permissions), read with `me`; null until then. */
  permissions: null,

  /** Can the current role manage members, teams and keys? */
  get canManage() {
    if (!this.permissions) return this.me?.role === 'owner' || this.me?.role === 'admin';
    return this.can('POST /v1/api-keys');
  },

  /**
   * May the signed-in role call `route` ("METHOD /pattern", as the server's table names it),
   * or take an action a request's field can take ("automation.edit_active")?
   * Read from the server's own table, never a copy; the server refuses what this allows
   * wrongly. Should the table not load, nothing is disabled: the server still refuses.
   */
  can(route) {
    const table = this.permissions;
    if (!table) return true;
    return [table.allowed, table.allowed_actions].some((list) => Array.isArray(list) && list.includes(route));
  },

  /** "Only owners and admins" for a route whose least role is admin. */
  whoCan(route) {
    const least = this.permissions?.routes?.[route] || this.permissions?.actions?.[route];
    return { owner: 'Only owners', admin: 'Only owners and admins', member: 'Only owners, admins and members' }[least]
      || 'Your role does not allow this:';
  },

  /** Why the role may not: "Only owners and admins can delete segments." */
  reason(route, doing) {
    return `${this.whoCan(route)} can ${doing}.`;
  },

  /** Calls `listener(me)` whenever `me` changes. */
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  async refresh() {
    const [me, permissions] = await Promise.all([
      api.get('/v1/auth/me'),
      api.get('/v1/permissions').catch(() => null),
    ]);
    this.permissions = permissions?.data || null;
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
    this.permissions = null;
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
