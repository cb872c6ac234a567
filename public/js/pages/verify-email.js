// #/verify-email?token=…: the link of the verification email. Confirming needs the session
// of the account the link was sent for (the link alone is not enough: whoever registered
// with someone else's address must not have its holder confirm it with one click). Signed
// out, the page asks to sign in first and sign-in comes back here; signed in, it confirms,
// then offers the dashboard.

import { api, getToken } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, showAlert } from '../components/form.js';
import { session } from '../session.js';

export function render({ query }) {
  const token = query.get('token') || '';
  const back = `/verify-email?token=${encodeURIComponent(token)}`;
  const alert = alertRegion();
  const next = h('p', { class: 'auth-next' });
  const status = h('p', { role: 'status' });
  const dashboard = () => h('a', { class: 'button button-primary button-block', href: '#/dashboard', text: 'Go to the dashboard' });

  async function confirm() {
    status.textContent = 'Confirming your address…';
    try {
      const result = await api.post('/v1/auth/verify-email', { token });
      status.textContent = '';
      showAlert(alert, result?.message || 'Your email address is verified.', [], 'success');
      await session.refresh().catch(() => {});
    } catch (error) {
      status.textContent = '';
      if (error?.handled) return; // the session ended: the console asks to sign in again, then comes back here
      const details = Object.values(error?.errors || {}).flat().map(String);
      showAlert(alert, details[0] || error?.message || 'The address could not be verified.');
    }
    next.replaceChildren(dashboard());
  }

  if (!token) {
    showAlert(alert, 'This link has no token. Open the link from the email again, or ask for a new one from the banner in the console.');
    if (getToken()) next.replaceChildren(dashboard());
  } else if (getToken()) {
    confirm();
  } else {
    status.textContent = 'Sign in to the account you created with this address: you come back here, and the address is confirmed. Did not create an EnterCRM account? Ignore the email: nothing is confirmed without signing in.';
    next.replaceChildren(h('a', {
      class: 'button button-primary button-block',
      href: `#/login?notice=verify&next=${encodeURIComponent(back)}`,
      dataset: { action: 'sign-in-to-verify' },
      text: 'Sign in to confirm',
    }));
  }

  return authLayout({
    title: 'Confirm your email address',
    subtitle: 'A confirmed address lets your account join the workspaces that invite you.',
    body: [status, alert, next],
    footer: ['Need a new link? Sign in and use “Resend the link” in the banner.'],
  });
}
