// The signed-in frame: top bar (menu button, brand, workspace switcher, user menu), the
// navigation (a drawer behind the menu button on small screens) and the main region.

import { paletteButton } from './palette-button.js';
import { currentTheme, setTheme, THEMES } from './theme.js';
import { api } from '../api.js';
import { toast } from './toast.js';
import { avatar, h, icon, roleLabel } from '../dom.js';
import { NAV_SECTIONS } from '../nav.js';
import { session } from '../session.js';
import { popover } from './popover.js';

/**
 * Builds the shell. `actions`: {signOut(), switchWorkspace(slug)}.
 * Returns {root, main, setActive(path), update(me), closeNav()}.
 */
export function createShell(actions) {
  const links = new Map();
  /** Navigation items only some roles may open: [list item, "METHOD /pattern"]. */
  const gated = [];
  const nav = h(
    'nav',
    { class: 'sidebar', id: 'sidebar', 'aria-label': 'Main' },
    h('div', { class: 'sidebar-sticky' },
    h('div', { class: 'sidebar-scroll' },
      NAV_SECTIONS.map((section) =>
        h('div', { class: 'nav-section' },
          h('h2', { class: 'nav-heading', text: section.label }),
          h('ul', { class: 'nav-list' },
            section.items.map((item) => {
              const link = h('a', { class: 'nav-link', href: `#${item.path}` },
                icon(item.icon),
                h('span', { class: 'nav-label', text: item.label }),
                item.soon ? h('span', { class: 'nav-soon', text: 'Soon' }) : null);
              links.set(item.path, link);
              const li = h('li', {}, link);
              if (item.permission) gated.push([li, item.permission]);
              return li;
            })),
        ))),
    h('div', { class: 'sidebar-footer' }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), h('span', { class: 'sidebar-status', text: 'EnterCRM' }))),
  );

  const backdrop = h('div', { class: 'nav-backdrop', hidden: true });
  const menuButton = h('button', {
    type: 'button',
    class: 'icon-button menu-button',
    'aria-label': 'Menu',
    'aria-controls': 'sidebar',
    'aria-expanded': 'false',
  }, icon('menu'));

  // Workspace switcher.
  const switcherName = h('span', { class: 'switcher-name' });
  const switcherMark = h('span', { class: 'workspace-mark', 'aria-hidden': 'true' });
  const switcherButton = h('button', { type: 'button', class: 'switcher-button' },
    switcherMark,
    h('span', { class: 'switcher-text' }, h('span', { class: 'switcher-caption', text: 'Workspace' }), switcherName),
    icon('chevronDown', 'icon icon-small'));
  const switcher = popover({
    button: switcherButton,
    className: 'switcher',
    content: () => {
      const me = session.me;
      const current = me?.tenant?.slug;
      return [
        h('p', { class: 'popover-heading', text: 'Your workspaces' }),
        h('ul', { class: 'popover-list', 'aria-label': 'Your workspaces' },
          (me?.workspaces || []).map((workspace) => {
            const isCurrent = workspace.slug === current;
            return h('li', {},
              h('button', {
                type: 'button',
                class: ['popover-item', 'workspace-option', isCurrent && 'is-current'],
                'aria-current': isCurrent ? 'true' : null,
                dataset: { workspace: workspace.slug },
                onClick: () => { if (!isCurrent) actions.switchWorkspace(workspace.slug); },
              },
              h('span', { class: 'workspace-mark', 'aria-hidden': 'true', text: workspaceLetter(workspace.name) }),
              h('span', { class: 'popover-item-text' },
                h('span', { class: 'popover-item-title', text: workspace.name }),
                h('span', { class: 'popover-item-meta', text: roleLabel(workspace.role) })),
              isCurrent ? icon('check', 'icon icon-small popover-check') : null));
          })),
        h('div', { class: 'popover-separator', role: 'separator' }),
        h('button', {
          type: 'button',
          class: 'popover-item',
          onClick: () => {
            switcher.close({ focusButton: true });
            import('./workspace-dialog.js').then((m) => m.openCreateWorkspace());
          },
        }, icon('plus'), h('span', { text: 'Create workspace' })),
        h('a', { class: 'popover-item', href: '#/settings/workspace' }, icon('settings'), h('span', { text: 'Workspace settings' })),
      ];
    },
  });

  // User menu.
  const userAvatar = h('span', { class: 'avatar' });
  const userName = h('span', { class: 'user-name' });
  const userButton = h('button', { type: 'button', class: 'user-button', 'aria-label': 'Account menu' },
    userAvatar, userName, icon('chevronDown', 'icon icon-small'));
  const userMenu = popover({
    button: userButton,
    align: 'end',
    className: 'user-menu',
    content: () => {
      const me = session.me;
      return [
        h('div', { class: 'popover-user' },
          avatar(me?.user?.name, 'large'),
          h('div', { class: 'popover-user-text' },
            h('p', { class: 'popover-user-name', text: me?.user?.name || '' }),
            h('p', { class: 'popover-user-email', text: me?.user?.email || '' }),
            h('p', { class: 'popover-user-role', text: `${roleLabel(me?.role)} of ${me?.tenant?.name || ''}` }))),
        h('div', { class: 'popover-separator', role: 'separator' }),
        h('a', { class: 'popover-item', href: '#/settings/sessions' }, icon('shield'), h('span', { text: 'Sessions & password' })),
        h('a', { class: 'popover-item', href: '#/settings/workspace' }, icon('building'), h('span', { text: 'Workspace' })),
        h('div', { class: 'popover-separator', role: 'separator' }),
        themeChoice(),
        h('div', { class: 'popover-separator', role: 'separator' }),
        h('button', { type: 'button', class: 'popover-item', dataset: { action: 'sign-out' }, onClick: () => actions.signOut() },
          icon('logout'), h('span', { text: 'Sign out' })),
      ];
    },
  });

  /** System, Light or Dark: a group of three toggles, the current one pressed. */
  function themeChoice() {
    const group = h('div', { class: 'theme-choice', role: 'group', 'aria-label': 'Theme' },
      h('span', { class: 'theme-choice-label', text: 'Theme' }));
    for (const theme of THEMES) {
      const button = h('button', {
        type: 'button', class: 'theme-choice-option', dataset: { theme: theme.value },
        'aria-pressed': String(currentTheme() === theme.value), text: theme.label,
      });
      button.addEventListener('click', () => {
        setTheme(theme.value);
        for (const other of group.querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === button));
      });
      group.append(button);
    }
    return group;
  }

  const topbar = h('header', { class: 'topbar' },
    menuButton,
    h('a', { class: 'brand', href: '#/dashboard', 'aria-label': 'EnterCRM dashboard' },
      h('img', { class: 'brand-logo', src: '/favicon.svg', alt: '', width: 28, height: 28 }),
      h('span', { class: 'brand-name', text: 'EnterCRM' })),
    h('span', { class: 'topbar-divider', 'aria-hidden': 'true' }),
    switcher.root,
    h('div', { class: 'topbar-spacer' }),
    paletteButton(),
    userMenu.root);

  const main = h('main', { class: 'main', id: 'main', tabindex: '-1' });
  // Until the address is verified: "check your inbox", with a way to get a new link.
  const verifyText = h('p', {});
  const resendButton = h('button', { type: 'button', class: 'button button-secondary button-small', dataset: { action: 'resend-verification' }, text: 'Resend the link' });
  const verifyBanner = h('div', { class: 'alert alert-info verify-banner', role: 'status', hidden: true },
    icon('info'),
    h('div', { class: 'alert-content' }, verifyText, resendButton,
      h('a', { href: '#/campaigns/mailbox', class: 'muted', text: 'No mail relay? Open the development mailbox' })));
  resendButton.addEventListener('click', async () => {
    resendButton.disabled = true;
    try {
      const result = await api.post('/v1/auth/verify-email/resend', {});
      toast(result?.message || 'A new link is on its way.');
    } catch (error) {
      if (!error.handled) toast(error.message, 'error');
    } finally {
      resendButton.disabled = false;
    }
  });
  const root = h('div', { class: 'shell' }, topbar, verifyBanner, h('div', { class: 'shell-body' }, nav, backdrop, main));

  function openNav() {
    root.classList.add('nav-open');
    backdrop.hidden = false;
    menuButton.setAttribute('aria-expanded', 'true');
    menuButton.setAttribute('aria-label', 'Close menu');
    menuButton.replaceChildren(icon('close'));
    (nav.querySelector('[aria-current="page"]') || nav.querySelector('a'))?.focus();
  }

  function closeNav({ focusButton = false } = {}) {
    if (!root.classList.contains('nav-open')) return;
    root.classList.remove('nav-open');
    backdrop.hidden = true;
    menuButton.setAttribute('aria-expanded', 'false');
    menuButton.setAttribute('aria-label', 'Menu');
    menuButton.replaceChildren(icon('menu'));
    if (focusButton) menuButton.focus();
  }

  menuButton.addEventListener('click', () => (root.classList.contains('nav-open') ? closeNav() : openNav()));
  // The drawer closes when focus leaves it (Tab past its last link), except to its own button.
  nav.addEventListener('focusout', (event) => {
    const next = event.relatedTarget;
    if (next && !nav.contains(next) && next !== menuButton) closeNav();
  });
  backdrop.addEventListener('click', () => closeNav({ focusButton: true }));
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && root.classList.contains('nav-open')) {
      event.preventDefault();
      closeNav({ focusButton: true });
    }
  });

  function setActive(path) {
    for (const [itemPath, link] of links) {
      const active = path === itemPath || path.startsWith(`${itemPath}/`);
      if (active) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    switcher.close();
    userMenu.close();
    closeNav();
  }

  function update(me) {
    if (!me) return;
    for (const [li, route] of gated) li.hidden = !session.can(route);
    switcherName.textContent = me.tenant?.name || '';
    switcherMark.textContent = workspaceLetter(me.tenant?.name);
    switcherButton.setAttribute('aria-label', `Workspace: ${me.tenant?.name || ''}. Switch workspace`);
    userAvatar.textContent = avatar(me.user?.name).textContent;
    userName.textContent = me.user?.name || '';
    verifyBanner.hidden = me.user?.email_verified !== false;
    verifyText.textContent = `Check your inbox: we sent a link to ${me.user?.email || 'your address'} to confirm it is yours. Until then, this account can use only this workspace and cannot join others.`;
  }

  // The API's version in the navigation footer.
  api.get('/v1/health', { auth: false }).then((health) => {
    const status = nav.querySelector('.sidebar-status');
    const dot = nav.querySelector('.status-dot');
    if (health?.version) status.textContent = `EnterCRM ${health.version}`;
    dot.classList.toggle('is-ok', health?.status === 'ok');
  }).catch(() => {});

  return { root, main, setActive, update, closeNav };
}

function workspaceLetter(name) {
  const first = [...String(name || '').trim()][0];
  return first ? first.toUpperCase() : '?';
}
