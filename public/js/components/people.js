// The workspace's members and teams, read once per workspace and kept (owner pickers,
// assignees, task rows): one home for every page and component that names people.

import { api } from '../api.js';
import { session } from '../session.js';

let people = null;

/** {users: Map(id → {id, name, email}), teams: Map(id → {id, name})} of the workspace. */
export async function workspacePeople() {
  if (people && people.tenant === session.me.tenant.id) return people;
  const users = new Map();
  const teams = new Map();
  try {
    for (let page = 1; page <= 20; page += 1) {
      const result = await api.get('/v1/users', { query: { page, per_page: 100 } });
      for (const user of result.data || []) users.set(user.id, user);
      if (!result.meta || page >= result.meta.last_page) break;
    }
    const result = await api.get('/v1/teams');
    for (const team of result.data || []) teams.set(team.id, team);
  } catch (error) {
    if (error?.status !== 403) throw error;
  }
  people = { tenant: session.me.tenant.id, users, teams };
  return people;
}
