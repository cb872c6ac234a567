// #/verify-email?token=…: the link of the verification email. Confirms the address, then
// offers the way on (the dashboard when signed in, else sign in).

import { api, getToken } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, showAlert } from '../components/form.js';
import { session } from '../session.js';

export function render({ query }) {
  const token = query.get('token') || '';
  const alert = alertRegion();
  const next = h('p', { class: 'auth-next' });
  const status = h('p', { role: 'status', text: 'Confirming your address…' });

  async function confirm() {
    if (!token) {
      status.textContent = '';
      showAlert(alert, 'This link has no token. Open the link from the email again, or ask for a new one from the banner in the console.');
      return;
    }
    try {
      const result = await api.post('/v1/auth/verify-email', { token }, { auth: false });
      status.textContent = '';
      showAlert(alert, result?.message || 'Your email address is verified.', [], 'success');
      if (getToken()) await session.refresh().catch(() => {});
    } catch (error) {
      status.textContent = '';
      const details = Object.values(error?.errors || {}).flat().map(String);
      showAlert(alert, details[0] || error?.message || 'The address could not be verified.');
    }
    next.replaceChildren(getToken()
      ? h('a', { class: 'button button-primary button-block', href: '#/dashboard', text: 'Go to the dashboard' })
      : h('a', { class: 'button button-primary button-block', href: '#/login', text: 'Sign in' }));
  }
  confirm();

  return authLayout({
    title: 'Confirm your email address',
    subtitle: 'A confirmed address lets your account join the workspaces that invite you.',
    body: [status, alert, next],
    footer: ['Need a new link? Sign in and use “Resend the link” in the banner.'],
  });
}
