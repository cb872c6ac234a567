// #/sources: the Segment-compatible intake. Each API key is a write key ("source"): the
// endpoint, the key, ready-to-paste examples for analytics.js, Python, Node and plain HTTP
// (shown as text, never injected), and the latest events that came in with that key.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { session } from '../session.js';
import { copyField } from '../components/copy.js';
import { refreshRelativeTimes } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { codeBlock, eventRow } from './tracking.js';

/** The examples for one write key, by library. The host is this console's. */
export function examples(key, host = location.host) {
  const base = `https://${host}`;
  return [
    {
      library: 'Python',
      note: 'pip install segment-analytics-python',
      code: `import segment.analytics as analytics\n\nanalytics.write_key = '${key}'\nanalytics.host = '${base}'\n\nanalytics.identify('user-123', {'email': 'ana@example.com', 'name': 'Ana Kovač'})\nanalytics.track('user-123', 'Order Completed', {'revenue': 59.90, 'currency': 'EUR'})\nanalytics.flush()`,
    },
    {
      library: 'Node.js',
      note: 'npm install @segment/analytics-node',
      code: `import { Analytics } from '@segment/analytics-node'\n\nconst analytics = new Analytics({ writeKey: '${key}', host: '${base}' })\n\nanalytics.identify({ userId: 'user-123', traits: { email: 'ana@example.com' } })\nanalytics.track({ userId: 'user-123', event: 'Order Completed', properties: { revenue: 59.90, currency: 'EUR' } })`,
    },
    {
      library: 'analytics.js',
      note: 'In web pages, use a publishable key (eck_pub_…): it can only send events.',
      code: `import { AnalyticsBrowser } from '@segment/analytics-next'\n\nexport const analytics = AnalyticsBrowser.load({\n  writeKey: '${key}',\n  cdnSettings: { integrations: { 'Segment.io': { apiKey: '${key}', apiHost: '${host}/v1', protocol: 'https' } } },\n})\n\nanalytics.page()\nanalytics.identify('user-123', { email: 'ana@example.com' })`,
    },
    {
      library: 'HTTP',
      note: 'The write key is the Basic user name, with an empty password.',
      code: `curl ${base}/v1/track -u '${key}:' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"userId": "user-123", "event": "Signed Up", "properties": {"plan": "pro"}}'`,
    },
  ];
}

function sourceCard(source, index) {
  const publishable = source.type === 'publishable';
  const masked = String(source.write_key).includes('…');
  const key = masked ? 'YOUR_SECRET_KEY' : source.write_key;
  // analytics.js runs in web pages, where only a publishable key belongs.
  const shown = examples(key).filter((example) => publishable || example.library !== 'analytics.js');
  const examplesBody = shown.map((example) => h('li', { class: 'usage-item' },
    h('h3', { class: 'usage-title', text: example.library }),
    h('p', { class: 'usage-text', text: example.note }),
    codeBlock(example.code, { label: `${example.library} example for ${source.name}`, name: `source-${index}-${example.library}` })));
  const events = source.latest_events || [];
  const eventsBody = events.length
    ? tableWrap(h('table', { class: 'table table-live' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'When' }),
        h('th', { scope: 'col', text: 'Event' }),
        h('th', { scope: 'col', text: 'Who' }),
        h('th', { scope: 'col', text: 'Page and properties' }))),
      h('tbody', {}, events.map(eventRow))), `Latest events of ${source.name}`)
    : h('p', { class: 'muted', text: 'No events received with this key yet.' });
  return card({
    title: `${source.name} · ${publishable ? 'publishable' : 'secret'} key`,
    description: publishable
      ? 'Safe in web pages: it can only send events and identify visitors.'
      : 'For servers only. Secret keys are shown in full only when created: paste the key you saved in place of YOUR_SECRET_KEY.',
    body: [
      // Padded here: a card body holding a table has none (its table runs edge to edge).
      h('div', { class: 'source-setup' },
        copyField({ label: 'Write key', value: source.write_key, name: `write-key-${index}`, monospace: false }),
        h('ul', { class: 'usage-list source-examples' }, examplesBody),
        h('h3', { class: 'usage-title source-events-title', text: 'Latest events' }),
        events.length ? null : eventsBody),
      events.length ? eventsBody : null,
    ],
    className: 'card-source',
  });
}

export function render() {
  const body = h('div', { class: 'sources-body' }, loadingState('Loading sources…'));
  const root = h('div', { class: 'page page-sources' },
    pageHeader({
      title: 'Sources',
      description: 'Send data with the Segment libraries you already use: only the host and the write key change.',
    }),
    card({
      title: 'Endpoint',
      description: 'Set this as the library’s host. Any API key of this workspace is a write key.',
      body: [copyField({ label: 'Host', value: `https://${location.host}`, name: 'segment-host', monospace: false })],
      className: 'card-endpoint',
    }),
    body);

  async function load() {
    if (!session.canManage) {
      replace(body, h('div', { class: 'alert alert-info' },
        h('div', { class: 'alert-content' },
          h('p', { text: 'Only owners and admins can see the workspace’s write keys. Ask one of them for a key.' }))));
      return;
    }
    try {
      const result = await api.get('/v1/sources');
      const sources = result?.data || [];
      if (!sources.length) {
        replace(body, emptyState({
          title: 'No API keys yet',
          text: 'Create a key under Settings → API keys: a publishable one for web pages, a secret one for servers.',
          iconName: 'key',
          action: h('a', { class: 'button button-primary', href: '#/settings/api-keys', text: 'Create a key' }),
        }));
        return;
      }
      replace(body, ...sources.map(sourceCard));
      refreshRelativeTimes(body);
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, () => { replace(body, loadingState()); load(); }));
    }
  }
  queueMicrotask(load);
  return root;
}
