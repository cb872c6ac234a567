// #/accept-invitation?token=…: set a password and join the workspace that invited you.

import { api } from '../api.js';
import { h } from '../dom.js';
import { authLayout } from '../components/auth-layout.js';
import { alertRegion, field, submitting, validate, values } from '../components/form.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { toast } from '../components/toast.js';

export function render({ query }) {
  const token = query.get('token') || '';
  const form = h('form', { class: 'form', novalidate: true, 'aria-label': 'Accept invitation' },
    alertRegion(),
    token
      ? h('input', { type: 'hidden', name: 'token', value: token })
      : field({ label: 'Invitation token', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false', hint: 'Paste the token your workspace admin gave you.' }),
    field({ label: 'Your name', name: 'name', optional: true, autocomplete: 'name', maxlength: 120, hint: 'Leave empty to keep the name your admin entered.' }),
    field({ label: 'Password', name: 'password', type: 'password', required: true, minlength: 8, autocomplete: 'new-password', hint: 'At least 8 characters.' }),
    field({ label: 'Confirm password', name: 'password_confirmation', type: 'password', required: true, autocomplete: 'new-password' }),
    h('button', { type: 'submit', class: 'button button-primary button-block', text: 'Join workspace', dataset: { busyLabel: 'Joining…' } }));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = validate(form, (f) => ({
      password_confirmation: f.elements.password.value !== f.elements.password_confirmation.value ? 'The passwords do not match.' : null,
    }));
    if (!ok) return;
    const data = values(form);
    const body = { token: data.token, password: data.password };
    if (data.name) body.name = data.name;
    await submitting(form, async () => {
      const result = await api.post('/v1/auth/accept-invitation', body, { auth: false });
      await session.start(result.token);
      toast(`You joined ${result.tenant?.name || 'the workspace'}.`);
      navigate('/dashboard', { replace: true });
    });
  });

  return authLayout({
    title: 'Join your team',
    subtitle: 'You were invited to an EnterCRM workspace. Choose a password to accept.',
    body: [form],
    footer: ['Already have an account? ', h('a', { href: '#/login', text: 'Sign in' })],
  });
}
