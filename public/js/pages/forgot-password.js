// #/forgot-password: asks for a reset link by email. The answer is the same whether or not
// the address has an account.

import { api } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, field, showAlert, submitting, validate, values } from '../components/form.js';

export function render() {
  const alert = alertRegion();
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Forgot password' },
    alert,
    field({ label: 'Email', name: 'email', type: 'email', required: true, autocomplete: 'username', inputmode: 'email', spellcheck: 'false' }),
    h('button', { type: 'submit', class: 'button button-primary button-block', text: 'Email me a reset link', dataset: { busyLabel: 'Sending…' } }));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate(form)) return;
    const data = values(form);
    await submitting(form, async () => {
      const result = await api.post('/v1/auth/password-reset', { email: data.email }, { auth: false });
      showAlert(alert, result?.message || 'If an account uses this address, a link is on its way.',
        ['The link works once, for one hour.'], 'success');
    });
  });

  return authLayout({
    title: 'Forgot your password?',
    subtitle: 'Enter the address you sign in with. We will email you a link to choose a new password.',
    body: [form],
    footer: ['Remembered it? ', h('a', { href: '#/login', text: 'Sign in' })],
  });
}
