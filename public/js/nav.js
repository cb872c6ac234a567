// Every area of the product, as the navigation and the dashboard show them. Areas marked
// `soon` render the "coming soon" panel until their release.

export const NAV_SECTIONS = [
  {
    label: 'Overview',
    items: [
      { path: '/dashboard', label: 'Dashboard', icon: 'home' },
      // Its badge (the count of my overdue tasks) is set by components/tasks.js.
      { path: '/tasks', label: 'My tasks', icon: 'check',
        description: 'Your open tasks, overdue first, from every customer and entry.' },
    ],
  },
  {
    label: 'Audience',
    items: [
      { path: '/customers', label: 'Customers', icon: 'customers',
        description: 'Customer profiles with their events, RFM scores and predicted lifetime value.' },
      { path: '/companies', label: 'Companies', icon: 'building',
        description: 'The companies your customers work for, with their owners, customers and revenue.' },
      { path: '/imports', label: 'Imports', icon: 'upload',
        description: 'Customers, companies and CRM entries from CSV files, with a dry run and the failed rows to fix.' },
      { path: '/segments', label: 'Segments', icon: 'segments',
        description: 'Rule-based groups of customers that stay up to date as data arrives.' },
      { path: '/tracking', label: 'Tracking', icon: 'activity',
        description: 'The website snippet, its publishable key, and the events as they arrive.' },
      // Shown to the roles the server's table lets read it (session.can).
      { path: '/sources', label: 'Sources', icon: 'code', permission: 'GET /v1/sources',
        description: 'Segment libraries (analytics.js, Python, Node): the endpoint, the write keys and what each sent.' },
    ],
  },
  {
    label: 'Engagement',
    items: [
      { path: '/campaigns', label: 'Campaigns', icon: 'campaigns',
        description: 'Email, SMS and ad campaigns to segments, sent now or on a schedule.' },
      { path: '/email-templates', label: 'Email templates', icon: 'mail',
        description: 'Saved emails with merge tags, sent by automations.' },
      { path: '/automations', label: 'Automations', icon: 'automations',
        description: 'Flows that react to what customers do: triggers, waits, conditions and messages.' },
    ],
  },
  {
    label: 'Sales',
    items: [
      { path: '/pipelines', label: 'Pipelines', icon: 'pipelines',
        description: 'A configurable CRM: entities, pipelines, stages, custom fields and entries.' },
      { path: '/analytics', label: 'Analytics', icon: 'analytics',
        description: 'RFM segments, predicted lifetime value and how well the predictions held up.' },
    ],
  },
  {
    label: 'Settings',
    items: [
      { path: '/settings/members', label: 'Members & Teams', icon: 'users' },
      { path: '/settings/api-keys', label: 'API keys', icon: 'key' },
      // Shown to the roles the server's table lets read it (session.can).
      { path: '/settings/audit-log', label: 'Audit log', icon: 'activity', permission: 'GET /v1/audit-log' },
      { path: '/settings/webhooks', label: 'Webhooks', icon: 'send', permission: 'GET /v1/webhooks' },
      { path: '/settings/sessions', label: 'Sessions & password', icon: 'shield' },
      { path: '/settings/workspace', label: 'Workspace', icon: 'building' },
    ],
  },
  {
    label: 'Developers',
    items: [
      { path: '/developers/api-reference', label: 'API reference', icon: 'code',
        description: 'Every endpoint, from openapi.yaml, with curl examples.' },
    ],
  },
];

export const NAV_ITEMS = NAV_SECTIONS.flatMap((section) => section.items);

/** The navigation item for a path, if any. */
export function navItem(path) {
  return NAV_ITEMS.find((item) => item.path === path) || null;
}
