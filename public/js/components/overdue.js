// The count of my overdue tasks beside "My tasks" in the navigation, read again on every page
// (one indexed count). Its own module, so that the shell does not load the tasks panel.

import { api } from '../api.js';
import { h } from '../dom.js';
import { session } from '../session.js';

/** Sets the navigation's "My tasks" badge to the count of my overdue open tasks. */
export async function refreshOverdueBadge() {
  const link = document.querySelector('.nav-link[href="#/tasks"]');
  if (!link || !session.me?.user) return;
  let badge = link.querySelector('.nav-count');
  try {
    const result = await api.get('/v1/tasks', { query: { assignee_id: 'me', overdue: 'true', per_page: 1 } });
    const n = result.meta?.total || 0;
    if (!badge) { badge = h('span', { class: 'nav-count' }); link.append(badge); }
    badge.textContent = n > 99 ? '99+' : String(n);
    badge.hidden = n === 0;
    badge.setAttribute('aria-label', `${n} overdue`);
    badge.title = `${n} overdue task${n === 1 ? '' : 's'}`;
  } catch {
    if (badge) badge.hidden = true;
  }
}
