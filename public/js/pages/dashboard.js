// #/dashboard: the workspace at a glance, your role, and where to go next.

import { h, icon, roleBadge, time } from '../dom.js';
import { NAV_SECTIONS } from '../nav.js';
import { session } from '../session.js';
import { card, pageHeader } from '../components/page.js';

function quickLink({ href, iconName, title, text }) {
  return h('a', { class: 'quick-link', href },
    h('span', { class: 'quick-link-icon' }, icon(iconName)),
    h('span', { class: 'quick-link-text' }, h('span', { class: 'quick-link-title', text: title }), h('span', { class: 'quick-link-description', text })),
    icon('chevronRight', 'icon icon-small quick-link-chevron'));
}

export function render() {
  const me = session.me;
  const firstName = String(me.user?.name || '').trim().split(/\s+/)[0] || 'there';
  const canManage = session.canManage;

  const overview = h('dl', { class: 'stat-list' },
    h('div', { class: 'stat' }, h('dt', { text: 'Workspace' }), h('dd', { class: 'stat-value', dataset: { testid: 'workspace-name' }, text: me.tenant?.name || '' })),
    h('div', { class: 'stat' }, h('dt', { text: 'Workspace slug' }), h('dd', { class: 'stat-value mono', text: me.tenant?.slug || '' })),
    h('div', { class: 'stat' }, h('dt', { text: 'Your role' }), h('dd', { class: 'stat-value', dataset: { testid: 'role' } }, roleBadge(me.role))),
    h('div', { class: 'stat' }, h('dt', { text: 'Account created' }), h('dd', { class: 'stat-value' }, time(me.user?.created_at, { dateOnly: true, empty: '—' }))));

  const links = [
    canManage && { href: '#/settings/members', iconName: 'users', title: 'Invite your team', text: 'Add members, set their roles and group them in teams.' },
    canManage && { href: '#/settings/api-keys', iconName: 'key', title: 'Create an API key', text: 'Connect your website and servers to send events.' },
    { href: '#/settings/sessions', iconName: 'shield', title: 'Review your sessions', text: 'See where you are signed in; change your password.' },
    { href: '#/settings/workspace', iconName: 'building', title: 'Workspaces', text: `You belong to ${me.workspaces.length} workspace${me.workspaces.length === 1 ? '' : 's'}. Switch or create one.` },
  ].filter(Boolean);

  const areas = NAV_SECTIONS.flatMap((section) => section.items).filter((item) => item.soon);

  return h('div', { class: 'page page-dashboard' },
    pageHeader({ eyebrow: me.tenant?.name, title: `Welcome, ${firstName}`, description: 'Here is your workspace at a glance.' }),
    h('div', { class: 'grid grid-dashboard' },
      card({ title: 'Overview', body: [overview], className: 'card-overview' }),
      card({ title: 'Quick links', body: [h('div', { class: 'quick-links' }, links.map(quickLink))], className: 'card-links' })),
    card({
      title: 'The product',
      description: 'These areas arrive with the next releases of EnterCRM.',
      body: [h('ul', { class: 'area-grid' }, areas.map((area) =>
        h('li', {}, h('a', { class: 'area-tile', href: `#${area.path}` },
          h('span', { class: 'area-icon' }, icon(area.icon)),
          h('span', { class: 'area-title', text: area.label }),
          h('span', { class: 'area-text', text: area.description }),
          h('span', { class: 'badge badge-soon', text: 'Coming soon' })))))],
    }));
}
