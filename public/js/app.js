// The console's entry point: routes, the signed-in shell, and what happens on 401.

import { ApiError, getToken, onUnauthorized } from './api.js';
import { h } from './dom.js';
import { navItem } from './nav.js';
import { navigate, setLeaveGuard, startRouter } from './router.js';
import { session } from './session.js';
import { createShell } from './components/shell.js';
import { toast } from './components/toast.js';
import { confirmLeave, hasUnsavedChanges } from './components/unsaved.js';
import './components/undo.js';
import * as acceptInvitation from './pages/accept-invitation.js';
import * as analytics from './pages/analytics.js';
import * as apiKeys from './pages/api-keys.js';
import * as auditLog from './pages/audit-log.js';
import * as automations from './pages/automations.js';
import * as campaign from './pages/campaign.js';
import * as campaignEditor from './pages/campaign-editor.js';
import * as campaignMailbox from './pages/campaign-mailbox.js';
import * as campaignSettings from './pages/campaign-settings.js';
import * as campaigns from './pages/campaigns.js';
import * as apiReference from './pages/api-reference.js';
import * as comingSoon from './pages/coming-soon.js';
import * as companies from './pages/companies.js';
import * as companyForm from './pages/companies-form.js';
import * as companyProfile from './pages/companies-profile.js';
import * as customers from './pages/customers.js';
import * as customerForm from './pages/customers-form.js';
import * as customerProfile from './pages/customers-profile.js';
import * as dashboard from './pages/dashboard.js';
import * as emailTemplates from './pages/email-templates.js';
import * as forgotPassword from './pages/forgot-password.js';
import * as login from './pages/login.js';
import * as members from './pages/members.js';
import * as notFound from './pages/not-found.js';
import * as pipelines from './pages/pipelines.js';
import * as register from './pages/register.js';
import * as resetPassword from './pages/reset-password.js';
import * as segments from './pages/segments.js';
import * as segmentBuilder from './pages/segments-builder.js';
import * as segmentDetail from './pages/segments-detail.js';
import * as sessions from './pages/sessions.js';
import * as tracking from './pages/tracking.js';
import * as verifyEmail from './pages/verify-email.js';
import * as workspace from './pages/workspace.js';

const PUBLIC_ROUTES = {
  '/login': { page: login, title: 'Sign in', guestOnly: true },
  '/register': { page: register, title: 'Create your workspace', guestOnly: true },
  '/accept-invitation': { page: acceptInvitation, title: 'Join your team' },
  '/verify-email': { page: verifyEmail, title: 'Confirm your email address' },
  '/forgot-password': { page: forgotPassword, title: 'Forgot password' },
  '/reset-password': { page: resetPassword, title: 'Choose a new password' },
};

const ROUTES = {
  '/dashboard': { page: dashboard, title: 'Dashboard' },
  '/customers': { page: customers, title: 'Customers' },
  '/customers/new': { page: customerForm, title: 'New customer' },
  '/companies': { page: companies, title: 'Companies' },
  '/companies/new': { page: companyForm, title: 'New company' },
  '/tracking': { page: tracking, title: 'Tracking' },
  '/analytics': { page: analytics, title: 'Analytics' },
  '/segments': { page: segments, title: 'Segments' },
  '/segments/new': { page: segmentBuilder, title: 'New segment' },
  '/campaigns': { page: campaigns, title: 'Campaigns' },
  '/campaigns/new': { page: campaignEditor, title: 'New campaign' },
  '/campaigns/mailbox': { page: campaignMailbox, title: 'Development mailbox' },
  '/campaigns/settings': { page: campaignSettings, title: 'Delivery settings' },
  '/email-templates': { page: emailTemplates, title: 'Email templates' },
  '/email-templates/new': { page: emailTemplates, title: 'New email template' },
  '/settings/members': { page: members, title: 'Members & Teams' },
  '/settings/api-keys': { page: apiKeys, title: 'API keys' },
  '/settings/audit-log': { page: auditLog, title: 'Audit log' },
  '/settings/sessions': { page: sessions, title: 'Sessions & password' },
  '/settings/workspace': { page: workspace, title: 'Workspace' },
  '/developers/api-reference': { page: apiReference, title: 'API reference' },
};

// Routes with an id in the path: the page gets the captured parts as `params`.
const PATTERN_ROUTES = [
  [/^\/customers\/(\d+)$/, { page: customerProfile, title: 'Customer' }],
  [/^\/customers\/(\d+)\/edit$/, { page: customerForm, title: 'Edit customer' }],
  [/^\/companies\/(\d+)$/, { page: companyProfile, title: 'Company' }],
  [/^\/companies\/(\d+)\/edit$/, { page: companyForm, title: 'Edit company' }],
  [/^\/segments\/(\d+)$/, { page: segmentDetail, title: 'Segment' }],
  [/^\/segments\/(\d+)\/edit$/, { page: segmentBuilder, title: 'Edit segment' }],
  [/^\/campaigns\/(\d+)$/, { page: campaign, title: 'Campaign' }],
  [/^\/campaigns\/(\d+)\/edit$/, { page: campaignEditor, title: 'Edit campaign' }],
  [/^\/email-templates\/(\d+)$/, { page: emailTemplates, title: 'Email template' }],
  // The pipeline CRM routes within itself (#/pipelines/leads/board).
  [/^\/pipelines(?:\/.*)?$/, { page: pipelines, title: 'Pipelines' }],
  [/^\/automations(?:\/\d+)?$/, { page: automations, title: 'Automations' }],
];

function matchRoute(path) {
  if (ROUTES[path]) return { route: ROUTES[path], params: [] };
  for (const [pattern, route] of PATTERN_ROUTES) {
    const match = pattern.exec(path);
    if (match) return { route, params: match.slice(1) };
  }
  return null;
}

const REDIRECTS = { '/': null, '/settings': '/settings/members' };

const app = document.getElementById('app');
let shell = null;
let routeCount = 0;
let rendered = 0;
let expiring = false;

function mount(node) {
  app.classList.remove('boot');
  app.replaceChildren(node);
}

function boot(text, action = null) {
  shell = null;
  app.classList.add('boot');
  app.replaceChildren(h('div', { class: 'boot-card' },
    h('img', { class: 'boot-logo', src: '/favicon.svg', alt: '', width: 40, height: 40 }),
    h('p', { class: 'boot-status', role: 'status', text }),
    action));
}

/** After a navigation, focus goes to the new page's heading (not on the first load). */
function focusHeading() {
  rendered += 1;
  if (rendered === 1) return;
  const heading = app.querySelector('h1');
  if (heading) heading.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

async function signOut() {
  await session.signOut();
  shell = null;
  navigate('/login?notice=signed-out', { force: true });
}

async function switchWorkspace(slug) {
  try {
    const me = await session.switchWorkspace(slug);
    toast(`Switched to ${me.tenant?.name || slug}.`);
    navigate('/dashboard');
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (!error.handled) toast(error.message, 'error');
  }
}

onUnauthorized(() => {
  if (expiring) return;
  expiring = true;
  session.clear();
  shell = null;
  const current = location.hash.replace(/^#/, '');
  const next = current.startsWith('/') && !current.startsWith('/login') ? `&next=${encodeURIComponent(current)}` : '';
  navigate(`/login?notice=expired${next}`, { replace: true, force: true });
});

session.subscribe((me) => {
  if (me && shell) shell.update(me);
});

async function handleRoute({ path, query }) {
  const count = ++routeCount;
  expiring = false;

  if (path in REDIRECTS) {
    navigate(REDIRECTS[path] || (getToken() ? '/dashboard' : '/login'), { replace: true });
    return;
  }

  const publicRoute = PUBLIC_ROUTES[path];
  if (publicRoute) {
    if (publicRoute.guestOnly && getToken()) {
      navigate('/dashboard', { replace: true });
      return;
    }
    shell = null;
    document.title = `${publicRoute.title} · EnterCRM`;
    mount(publicRoute.page.render({ path, query }));
    focusHeading();
    return;
  }

  if (!getToken()) {
    const target = path + (query.toString() ? `?${query}` : '');
    navigate(`/login?next=${encodeURIComponent(target)}`, { replace: true });
    return;
  }

  if (!session.me) {
    if (!shell) boot('Loading your workspace…');
    try {
      await session.refresh();
    } catch (error) {
      if (count !== routeCount || error.handled) return;
      boot(error.message || 'The console could not load.',
        h('button', { type: 'button', class: 'button button-primary', text: 'Try again', onClick: () => navigate(path) }));
      return;
    }
    if (count !== routeCount) return;
  }

  if (!shell) {
    shell = createShell({ signOut, switchWorkspace });
    shell.update(session.me);
    mount(shell.root);
  }
  shell.setActive(path);

  const matched = matchRoute(path);
  const route = matched?.route || (navItem(path)?.soon ? { page: comingSoon, title: navItem(path).label } : { page: notFound, title: 'Not found' });
  document.title = `${route.title} · ${session.me.tenant?.name || 'EnterCRM'} · EnterCRM`;
  shell.main.replaceChildren(route.page.render({ path, query, params: matched?.params || [], switchWorkspace }));
  focusHeading();
}

// The skip link moves focus to the main region without touching the route.
document.addEventListener('click', (event) => {
  const link = event.target.closest('.skip-link');
  if (!link) return;
  event.preventDefault();
  const target = app.querySelector('h1') || document.getElementById('main');
  if (target) target.focus();
});

window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError) {
    event.preventDefault();
    if (!event.reason.handled) toast(event.reason.message, 'error');
  }
});

setLeaveGuard({ blocks: hasUnsavedChanges, ask: confirmLeave });

startRouter((route) => {
  handleRoute(route).catch((error) => {
    if (error instanceof ApiError) {
      if (!error.handled) toast(error.message, 'error');
      return;
    }
    throw error;
  });
});
