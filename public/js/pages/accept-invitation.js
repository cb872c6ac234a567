// #/accept-invitation?token=…: the link of an invitation email. Two ways in:
// - signed in: accept with this account (its verified address must be the invitation's);
// - new to EnterCRM: choose a password (the link proves the address).
// People who have an account but are signed out sign in first and come back here.

import { api, getToken } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, field, showAlert, submitting, validate, values } from '../components/form.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { toast } from '../components/toast.js';

export function render({ query }) {
  const token = query.get('token') || '';
  const back = `/accept-invitation?token=${encodeURIComponent(token)}`;
  const signInHref = `#/login?next=${encodeURIComponent(back)}`;
  const alert = alertRegion();
  if (!token) showAlert(alert, 'This link has no invitation token. Open the link from the invitation email again.');

  async function joined(result) {
    await session.start(result.token);
    toast(`You joined ${result.tenant?.name || 'the workspace'}.`);
    navigate('/dashboard', { replace: true });
  }

  if (getToken()) {
    const who = h('strong', { text: session.me?.user?.email || 'your account' });
    const accept = h('form', { class: 'form', novalidate: true, 'aria-label': 'Accept invitation' },
      alert,
      h('p', {}, 'Accept this invitation as ', who, '. The invitation must have been sent to this account’s confirmed address.'),
      h('button', { type: 'submit', class: 'button button-primary button-block', text: 'Accept invitation', dataset: { busyLabel: 'Joining…' } }));
    if (!session.me) session.refresh().then((me) => { who.textContent = me?.user?.email || who.textContent; }).catch(() => {});
    accept.addEventListener('submit', async (event) => {
      event.preventDefault();
      await submitting(accept, async () => joined(await api.post('/v1/auth/accept-invitation', { token })));
    });
    return authLayout({
      title: 'Join your team',
      subtitle: 'You were invited to an EnterCRM workspace.',
      body: [accept],
      footer: ['Not you? ', h('a', { href: '#/dashboard', text: 'Back to the console' })],
    });
  }

  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Accept invitation' },
    alert,
    field({ label: 'Your name', name: 'name', optional: true, autocomplete: 'name', maxlength: 120, hint: 'Leave empty to keep the name your admin entered.' }),
    field({ label: 'Password', name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password', hint: 'At least 8 characters.' }),
    field({ label: 'Confirm password', name: 'password_confirmation', type: 'password', required: true, autocomplete: 'new-password' }),
    h('button', { type: 'submit', class: 'button button-primary button-block', text: 'Create account and join', dataset: { busyLabel: 'Joining…' } }));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = validate(form, (f) => ({
      password_confirmation: f.elements.password.value !== f.elements.password_confirmation.value ? 'The passwords do not match.' : null,
    }));
    if (!ok) return;
    const data = values(form);
    const body = { token, password: data.password };
    if (data.name) body.name = data.name;
    await submitting(form, async () => joined(await api.post('/v1/auth/accept-invitation', body, { auth: false })));
  });

  return authLayout({
    title: 'Join your team',
    subtitle: 'You were invited to an EnterCRM workspace. New to EnterCRM? Choose a password to accept.',
    body: [form],
    footer: ['Already have an account? ', h('a', { href: signInHref, dataset: { action: 'sign-in-to-accept' }, text: 'Sign in to accept' })],
  });
}
