// #/login: email and password, optionally a workspace slug.

import { api } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, field, showAlert, submitting, validate, values } from '../components/form.js';
import { navigate } from '../router.js';
import { session } from '../session.js';

const NOTICES = {
  'signed-out': 'You have been signed out.',
  expired: 'Your session has ended. Sign in again to continue.',
  'password-changed': 'Your password was changed. Sign in with the new one.',
  'password-reset': 'Your new password is set and every session was signed out. Sign in with it.',
  verify: 'Sign in to the account you created with this address: then the console confirms it.',
};

export function render({ query }) {
  const alert = alertRegion();
  const workspace = field({ label: 'Workspace', name: 'workspace', optional: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. acme-retail', hint: 'The workspace’s short name (slug). Leave empty to open your most recent one.', value: query.get('workspace') || undefined });
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Sign in' },
    alert,
    field({ label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'username', inputmode: 'email', spellcheck: 'false' }),
    field({ label: 'Password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' }),
    h('p', { class: 'form-aside' }, h('a', { href: '#/forgot-password', dataset: { action: 'forgot-password' }, text: 'Forgot your password?' })),
    h('details', { class: 'form-more', open: query.get('workspace') ? true : null },
      h('summary', { text: 'Sign in to a specific workspace' }),
      workspace),
    h('button', { type: 'submit', class: 'button button-primary button-block', text: 'Sign in', dataset: { busyLabel: 'Signing in…' } }));

  const notice = NOTICES[query.get('notice')];
  if (notice) showAlert(alert, notice, [], 'info');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate(form)) return;
    const data = values(form);
    const body = { email: data.email, password: data.password };
    if (data.workspace) body.workspace = data.workspace;
    await submitting(form, async () => {
      const result = await api.post('/v1/auth/login', body, { auth: false });
      await session.start(result.token);
      const next = query.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('/login') ? next : '/dashboard', { replace: true });
    });
  });

  return authLayout({
    title: 'Sign in',
    subtitle: 'Welcome back. Sign in to your EnterCRM workspace.',
    body: [form],
    footer: ['New to EnterCRM? ', h('a', { href: '#/register', text: 'Create a workspace' })],
  });
}
