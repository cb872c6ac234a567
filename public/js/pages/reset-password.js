// #/reset-password?token=…: the link of the reset email. Sets a new password, which signs
// the account out everywhere, then sends the person to sign in.

import { api } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, field, showAlert, submitting, validate, values } from '../components/form.js';
import { navigate } from '../router.js';
import { session } from '../session.js';

export function render({ query }) {
  const token = query.get('token') || '';
  const alert = alertRegion();
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Choose a new password' },
    alert,
    field({ label: 'New password', name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password', hint: 'At least 8 characters.' }),
    field({ label: 'Confirm password', name: 'password_confirmation', type: 'password', required: true, autocomplete: 'new-password' }),
    h('button', { type: 'submit', class: 'button button-primary button-block', text: 'Set the new password', dataset: { busyLabel: 'Saving…' } }));
  if (!token) showAlert(alert, 'This link has no token. Open the link from the email again, or ask for a new one.');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = validate(form, (f) => ({
      password_confirmation: f.elements.password.value !== f.elements.password_confirmation.value ? 'The passwords do not match.' : null,
    }));
    if (!ok) return;
    const data = values(form);
    await submitting(form, async () => {
      await api.post('/v1/auth/password-reset/confirm', { token, password: data.password }, { auth: false });
      session.clear();
      navigate('/login?notice=password-reset', { replace: true });
    });
  });

  return authLayout({
    title: 'Choose a new password',
    subtitle: 'Setting it signs your account out on every device.',
    body: [form],
    footer: ['Link expired? ', h('a', { href: '#/forgot-password', text: 'Ask for a new one' })],
  });
}
