// The console's entry point: routes, the signed-in shell, and what happens on 401.

import { ApiError, getToken, onUnauthorized } from './api.js';
import { h } from './dom.js';
import { navItem } from './nav.js';
import { navigate, setLeaveGuard, startRouter } from './router.js';
import { session } from './session.js';
import { installPaletteShortcut } from './components/palette-button.js';
import { createShell } from './components/shell.js';
import { applyTheme } from './components/theme.js';
import { toast } from './components/toast.js';
import { confirmLeave, hasUnsavedChanges } from './components/unsaved.js';
import './components/undo.js';
import { refreshOverdueBadge } from './components/overdue.js';

// Each page's module, loaded when the page is first visited (the browser keeps it after).
const PAGES = {
  acceptInvitation: () => import('./pages/accept-invitation.js'),
  analytics: () => import('./pages/analytics.js'),
  apiKeys: () => import('./pages/api-keys.js'),
  apiReference: () => import('./pages/api-reference.js'),
  auditLog: () => import('./pages/audit-log.js'),
  imports: () => import('./pages/imports.js'),
  importWizard: () => import('./pages/imports-wizard.js'),
  webhooks: () => import('./pages/webhooks.js'),
  automations: () => import('./pages/automations.js'),
  campaign: () => import('./pages/campaign.js'),
  campaignEditor: () => import('./pages/campaign-editor.js'),
  campaignMailbox: () => import('./pages/campaign-mailbox.js'),
  campaignSettings: () => import('./pages/campaign-settings.js'),
  campaigns: () => import('./pages/campaigns.js'),
  comingSoon: () => import('./pages/coming-soon.js'),
  companies: () => import('./pages/companies.js'),
  companyForm: () => import('./pages/companies-form.js'),
  companyProfile: () => import('./pages/companies-profile.js'),
  customerForm: () => import('./pages/customers-form.js'),
  customerProfile: () => import('./pages/customers-profile.js'),
  customers: () => import('./pages/customers.js'),
  dashboard: () => import('./pages/dashboard.js'),
  emailTemplates: () => import('./pages/email-templates.js'),
  forgotPassword: () => import('./pages/forgot-password.js'),
  login: () => import('./pages/login.js'),
  members: () => import('./pages/members.js'),
  notFound: () => import('./pages/not-found.js'),
  pipelines: () => import('./pages/pipelines.js'),
  register: () => import('./pages/register.js'),
  resetPassword: () => import('./pages/reset-password.js'),
  segmentBuilder: () => import('./pages/segments-builder.js'),
  segmentDetail: () => import('./pages/segments-detail.js'),
  segments: () => import('./pages/segments.js'),
  sessions: () => import('./pages/sessions.js'),
  tasks: () => import('./pages/tasks.js'),
  sources: () => import('./pages/sources.js'),
  tracking: () => import('./pages/tracking.js'),
  verifyEmail: () => import('./pages/verify-email.js'),
  workspace: () => import('./pages/workspace.js'),
};

const PUBLIC_ROUTES = {
  '/login': { page: PAGES.login, title: 'Sign in', guestOnly: true },
  '/register': { page: PAGES.register, title: 'Create your workspace', guestOnly: true },
  '/accept-invitation': { page: PAGES.acceptInvitation, title: 'Join your team' },
  '/verify-email': { page: PAGES.verifyEmail, title: 'Confirm your email address' },
  '/forgot-password': { page: PAGES.forgotPassword, title: 'Forgot password' },
  '/reset-password': { page: PAGES.resetPassword, title: 'Choose a new password' },
};

const ROUTES = {
  '/dashboard': { page: PAGES.dashboard, title: 'Dashboard' },
  '/customers': { page: PAGES.customers, title: 'Customers' },
  '/customers/new': { page: PAGES.customerForm, title: 'New customer' },
  '/companies': { page: PAGES.companies, title: 'Companies' },
  '/companies/new': { page: PAGES.companyForm, title: 'New company' },
  '/imports': { page: PAGES.imports, title: 'Imports' },
  '/imports/new': { page: PAGES.importWizard, title: 'New import' },
  '/tasks': { page: PAGES.tasks, title: 'My tasks' },
  '/tracking': { page: PAGES.tracking, title: 'Tracking' },
  '/sources': { page: PAGES.sources, title: 'Sources' },
  '/analytics': { page: PAGES.analytics, title: 'Analytics' },
  '/segments': { page: PAGES.segments, title: 'Segments' },
  '/segments/new': { page: PAGES.segmentBuilder, title: 'New segment' },
  '/campaigns': { page: PAGES.campaigns, title: 'Campaigns' },
  '/campaigns/new': { page: PAGES.campaignEditor, title: 'New campaign' },
  '/campaigns/mailbox': { page: PAGES.campaignMailbox, title: 'Development mailbox' },
  '/campaigns/settings': { page: PAGES.campaignSettings, title: 'Delivery settings' },
  '/email-templates': { page: PAGES.emailTemplates, title: 'Email templates' },
  '/email-templates/new': { page: PAGES.emailTemplates, title: 'New email template' },
  '/settings/members': { page: PAGES.members, title: 'Members & Teams' },
  '/settings/api-keys': { page: PAGES.apiKeys, title: 'API keys' },
  '/settings/audit-log': { page: PAGES.auditLog, title: 'Audit log' },
  '/settings/webhooks': { page: PAGES.webhooks, title: 'Webhooks' },
  '/settings/sessions': { page: PAGES.sessions, title: 'Sessions & password' },
  '/settings/workspace': { page: PAGES.workspace, title: 'Workspace' },
  '/developers/api-reference': { page: PAGES.apiReference, title: 'API reference' },
};

// Routes with an id in the path: the page gets the captured parts as `params`.
const PATTERN_ROUTES = [
  [/^\/customers\/(\d+)$/, { page: PAGES.customerProfile, title: 'Customer' }],
  [/^\/customers\/(\d+)\/edit$/, { page: PAGES.customerForm, title: 'Edit customer' }],
  [/^\/imports\/(\d+)$/, { page: PAGES.importWizard, title: 'Import' }],
  [/^\/companies\/(\d+)$/, { page: PAGES.companyProfile, title: 'Company' }],
  [/^\/companies\/(\d+)\/edit$/, { page: PAGES.companyForm, title: 'Edit company' }],
  [/^\/segments\/(\d+)$/, { page: PAGES.segmentDetail, title: 'Segment' }],
  [/^\/segments\/(\d+)\/edit$/, { page: PAGES.segmentBuilder, title: 'Edit segment' }],
  [/^\/campaigns\/(\d+)$/, { page: PAGES.campaign, title: 'Campaign' }],
  [/^\/campaigns\/(\d+)\/edit$/, { page: PAGES.campaignEditor, title: 'Edit campaign' }],
  [/^\/email-templates\/(\d+)$/, { page: PAGES.emailTemplates, title: 'Email template' }],
  // The pipeline CRM routes within itself (#/pipelines/leads/board).
  [/^\/pipelines(?:\/.*)?$/, { page: PAGES.pipelines, title: 'Pipelines' }],
  [/^\/automations(?:\/\d+)?$/, { page: PAGES.automations, title: 'Automations' }],
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
    const page = await publicRoute.page();
    if (count !== routeCount) return;
    mount(page.render({ path, query }));
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
  const route = matched?.route || (navItem(path)?.soon ? { page: PAGES.comingSoon, title: navItem(path).label } : { page: PAGES.notFound, title: 'Not found' });
  document.title = `${route.title} · ${session.me.tenant?.name || 'EnterCRM'} · EnterCRM`;
  let page;
  try {
    page = await route.page();
  } catch (error) {
    // A module that failed to load (offline, a deploy meanwhile): say so, with a way out.
    if (count === routeCount) toast('This page could not be loaded. Reload the console to try again.', 'error');
    return;
  }
  if (count !== routeCount) return;
  shell.main.replaceChildren(page.render({ path, query, params: matched?.params || [], switchWorkspace }));
  focusHeading();
  // The overdue count beside My tasks, read again on every page (one indexed count).
  refreshOverdueBadge();
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

applyTheme();
installPaletteShortcut();
startRouter((route) => {
  handleRoute(route).catch((error) => {
    if (error instanceof ApiError) {
      if (!error.handled) toast(error.message, 'error');
      return;
    }
    throw error;
  });
});
