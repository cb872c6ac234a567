// #/developers/api-reference: openapi.yaml, as the server serves it in JSON (/v1/openapi.json),
// rendered by tag: each operation with its authentication, parameters, request body,
// responses and a curl example to copy. Everything from the file goes in as text.

import { h, icon, replace } from '../dom.js';
import { session } from '../session.js';
import { copyField } from '../components/copy.js';
import { card, errorState, loadingState, pageHeader } from '../components/page.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options'];

function resolve(spec, node, seen = new Set()) {
  if (!node || typeof node !== 'object' || !node.$ref) return node;
  if (seen.has(node.$ref)) return {};
  seen.add(node.$ref);
  const target = node.$ref.replace(/^#\//, '').split('/').reduce((o, k) => (o ? o[k] : undefined), spec);
  return resolve(spec, target || {}, seen);
}

function refName(node) {
  return node && node.$ref ? node.$ref.split('/').pop() : null;
}

/** A schema flattened for display: allOf merged; properties and required gathered. */
function flatten(spec, node, depth = 0) {
  const schema = resolve(spec, node) || {};
  if (!schema.allOf || depth > 6) return schema;
  const merged = { ...schema, properties: { ...(schema.properties || {}) }, required: [...(schema.required || [])] };
  delete merged.allOf;
  for (const part of schema.allOf) {
    const flat = flatten(spec, part, depth + 1);
    Object.assign(merged.properties, flat.properties || {});
    merged.required.push(...(flat.required || []));
    if (!merged.type && flat.type) merged.type = flat.type;
    if (!merged.description && flat.description) merged.description = flat.description;
  }
  return merged;
}

function typeLabel(spec, node) {
  const name = refName(node);
  const schema = resolve(spec, node) || {};
  const alternatives = schema.oneOf || schema.anyOf;
  if (alternatives && !schema.properties) return alternatives.map((a) => typeLabel(spec, a)).join(' | ');
  let type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type || (schema.const !== undefined ? JSON.stringify(schema.const) : 'any');
  if (type === 'array' && schema.items) type = `array of ${typeLabel(spec, schema.items)}`;
  if (name && !['Timestamp', 'NullableTimestamp', 'Email', 'Password', 'Name100', 'Name120', 'BodyId', 'Color', 'Position'].includes(name)) {
    return `${name} (${type})`;
  }
  const extras = [];
  if (schema.format) extras.push(schema.format);
  if (schema.enum) extras.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.maxLength !== undefined) extras.push(`max ${schema.maxLength} chars`);
  if (schema.minimum !== undefined && schema.maximum !== undefined && schema.maximum < 1e9) extras.push(`${schema.minimum}–${schema.maximum}`);
  return extras.length ? `${type}, ${extras.join(', ')}` : type;
}

/** Properties of an object schema as a definition list, nested objects one level in. */
function schemaTable(spec, node, depth = 0) {
  const schema = flatten(spec, node);
  const properties = schema.properties || {};
  const names = Object.keys(properties);
  if (!names.length) {
    return h('p', { class: 'api-schema-type' }, h('code', { text: typeLabel(spec, node) }),
      schema.description ? h('span', { text: ` ${schema.description}` }) : null);
  }
  const required = new Set(schema.required || []);
  return h('dl', { class: ['api-schema', depth && 'api-schema-nested'] },
    schema.description && depth === 0 ? h('p', { class: 'api-note', text: schema.description }) : null,
    names.map((name) => {
      const property = properties[name];
      const resolved = flatten(spec, property);
      const nested = depth < 1 && resolved.properties && Object.keys(resolved.properties).length && !refName(property)
        ? schemaTable(spec, property, depth + 1) : null;
      return h('div', { class: 'api-schema-row' },
        h('dt', {}, h('code', { text: name }), required.has(name) ? h('span', { class: 'api-required', text: 'required' }) : null),
        h('dd', {}, h('span', { class: 'api-type', text: typeLabel(spec, property) }),
          resolved.description ? h('span', { class: 'api-desc', text: resolved.description }) : null,
          nested));
    }));
}

function exampleValue(spec, node, depth = 0) {
  const schema = flatten(spec, node);
  if (schema.example !== undefined) return schema.example;
  if (depth > 3) return null;
  if (schema.enum) return schema.enum.find((v) => v !== null && v !== '') ?? null;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.properties) {
    const out = {};
    for (const name of schema.required || []) out[name] = exampleValue(spec, schema.properties[name], depth + 1);
    return out;
  }
  if (schema.oneOf || schema.anyOf) return exampleValue(spec, (schema.oneOf || schema.anyOf)[0], depth + 1);
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return true;
  if (type === 'array') return [];
  if (type === 'object') return {};
  if (schema.format === 'email') return 'ana@example.com';
  if (schema.format === 'date-time') return '2026-03-01T00:00:00Z';
  return 'text';
}

function shellQuote(text) {
  return `'${String(text).replace(/'/g, "'\\''")}'`;
}

/** The curl command for an operation, with the workspace's brand and placeholder credentials. */
export function curlExample(spec, path, method, operation, origin, brand) {
  const url = origin + path.replace('{brand}', brand || '{brand}');
  const lines = [`curl${method === 'get' ? '' : ` -X ${method.toUpperCase()}`} ${shellQuote(url)}`];
  const schemes = (operation.security ?? spec.security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (schemes[0] === 'bearerAuth') lines.push('-H "Authorization: Bearer $ENTERCRM_TOKEN"');
  else if (schemes[0] === 'efAccessKey') lines.push('-H "EF-Access-Key: $ENTERCRM_KEY"');
  else if (schemes[0] === 'apiKey' || schemes[0] === 'apiKeyQuery') lines.push('-H "X-API-Key: $ENTERCRM_KEY"');
  const media = operation.requestBody ? resolve(spec, operation.requestBody).content?.['application/json'] : null;
  if (media) {
    const body = media.example ?? exampleValue(spec, media.schema);
    lines.push('-H "Content-Type: application/json"');
    lines.push(`-d ${shellQuote(JSON.stringify(body))}`);
  }
  return lines.join(' \\\n  ');
}

function securityLine(spec, operation) {
  const requirements = operation.security ?? spec.security ?? [];
  if (!requirements.length) return h('p', { class: 'api-auth' }, icon('info'), h('span', { text: 'No authentication.' }));
  const schemes = spec.components?.securitySchemes || {};
  const names = requirements.flatMap((r) => Object.keys(r)).map((name) => {
    const scheme = schemes[name] || {};
    if (scheme.type === 'http') return 'Bearer token';
    return scheme.in === 'query' ? `?${scheme.name}=` : scheme.name || name;
  });
  return h('p', { class: 'api-auth' }, icon('key'), h('span', { text: `Authentication: ${names.join(' or ')}` }));
}

function parameterTable(spec, parameters) {
  if (!parameters.length) return null;
  return h('div', { class: 'api-section' }, h('h4', { text: 'Parameters' }),
    h('dl', { class: 'api-schema' }, parameters.map((p) => h('div', { class: 'api-schema-row' },
      h('dt', {}, h('code', { text: p.name }), h('span', { class: 'api-in', text: p.in }),
        p.required ? h('span', { class: 'api-required', text: 'required' }) : null),
      h('dd', {}, h('span', { class: 'api-type', text: typeLabel(spec, p.schema) }),
        p.description ? h('span', { class: 'api-desc', text: p.description }) : null)))));
}

function responsesList(spec, responses) {
  return h('div', { class: 'api-section' }, h('h4', { text: 'Responses' }),
    h('ul', { class: 'api-responses' }, Object.entries(responses || {}).map(([status, raw]) => {
      const response = resolve(spec, raw) || {};
      const schema = response.content?.['application/json']?.schema;
      const ok = status.startsWith('2');
      return h('li', {},
        h('span', { class: ['api-status', ok ? 'api-status-ok' : 'api-status-error'], text: status }),
        h('span', { text: response.description || '' }),
        schema && ok ? h('details', { class: 'api-response-schema' }, h('summary', { text: 'Schema' }), schemaTable(spec, schema)) : null);
    })));
}

function operationView(spec, path, method, operation, brand) {
  const parameters = (operation.parameters || []).map((p) => resolve(spec, p));
  const body = operation.requestBody ? resolve(spec, operation.requestBody) : null;
  const media = body?.content?.['application/json'];
  const id = `op-${operation.operationId}`;
  return h('details', { class: 'api-operation', id, dataset: { search: `${method} ${path} ${operation.summary || ''} ${operation.operationId}`.toLowerCase() } },
    h('summary', {},
      h('span', { class: ['api-method', `api-method-${method}`], text: method.toUpperCase() }),
      h('code', { class: 'api-path', text: path }),
      h('span', { class: 'api-summary', text: operation.summary || '' })),
    h('div', { class: 'api-operation-body' },
      operation.description ? h('p', { class: 'api-note', text: operation.description }) : null,
      securityLine(spec, operation),
      parameterTable(spec, parameters),
      media ? h('div', { class: 'api-section' }, h('h4', { text: body.required ? 'Request body (JSON, required)' : 'Request body (JSON)' }),
        schemaTable(spec, media.schema)) : null,
      responsesList(spec, operation.responses),
      h('div', { class: 'api-section' }, h('h4', { text: 'Example' }),
        copyField({ label: `curl for ${method.toUpperCase()} ${path}`, value: curlExample(spec, path, method, operation, location.origin, brand), name: 'curl' }))));
}

/** Operations grouped by their first tag, in the order of the file's tags. */
export function groupByTag(spec) {
  const groups = new Map((spec.tags || []).map((t) => [t.name, { tag: t, operations: [] }]));
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const name = operation.tags?.[0] || 'Other';
      if (!groups.has(name)) groups.set(name, { tag: { name }, operations: [] });
      groups.get(name).operations.push({ path, method, operation });
    }
  }
  return [...groups.values()].filter((g) => g.operations.length);
}

function renderSpec(container, spec) {
  const brand = session.me?.tenant?.slug;
  const groups = groupByTag(spec);
  const count = groups.reduce((n, g) => n + g.operations.length, 0);
  const search = h('input', { type: 'search', class: 'input api-search', placeholder: 'Filter by path, method or summary',
    'aria-label': 'Filter operations' });
  const sections = groups.map(({ tag, operations }) => h('section', { class: 'api-tag', id: `tag-${tag.name.replace(/\W+/g, '-').toLowerCase()}` },
    h('h2', { class: 'api-tag-title', text: tag.name }),
    tag.description ? h('p', { class: 'api-note', text: tag.description }) : null,
    operations.map(({ path, method, operation }) => operationView(spec, path, method, operation, brand))));
  const nav = h('nav', { class: 'api-toc', 'aria-label': 'Tags' },
    groups.map(({ tag, operations }) => h('a', { href: `#tag-${tag.name.replace(/\W+/g, '-').toLowerCase()}`,
      onClick: (event) => {
        event.preventDefault();
        document.getElementById(`tag-${tag.name.replace(/\W+/g, '-').toLowerCase()}`)?.scrollIntoView({ behavior: 'smooth' });
      } }, h('span', { text: tag.name }), h('span', { class: 'api-count', text: String(operations.length) }))));
  const empty = h('p', { class: 'api-note', hidden: true, text: 'No operation matches.' });
  search.addEventListener('input', () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const section of sections) {
      let visible = 0;
      for (const op of section.querySelectorAll('.api-operation')) {
        const match = words.every((w) => op.dataset.search.includes(w));
        op.hidden = !match;
        if (match) visible += 1;
      }
      section.hidden = visible === 0;
      shown += visible;
    }
    empty.hidden = shown > 0;
  });
  const schemes = spec.components?.securitySchemes || {};
  replace(container,
    card({
      title: `${spec.info?.title || 'API'} ${spec.info?.version || ''}`,
      description: `${count} operations. OpenAPI ${spec.openapi}.`,
      actions: [h('a', { class: 'button button-secondary', href: '/v1/openapi.yaml', download: 'openapi.yaml' }, icon('download'), h('span', { text: 'openapi.yaml' }))],
      body: [
        h('p', { class: 'api-note', text: spec.info?.description || '' }),
        h('ul', { class: 'api-schemes' }, Object.entries(schemes).map(([name, s]) => h('li', {},
          h('code', { text: s.type === 'http' ? 'Authorization: Bearer …' : s.in === 'query' ? `?${s.name}=…` : `${s.name}: …` }),
          h('span', { text: ` ${s.description || name}` })))),
        h('p', { class: 'api-note', text: 'The curl examples read $ENTERCRM_TOKEN (a session token) or $ENTERCRM_KEY (a secret key from Settings › API keys) from your shell.' }),
      ],
    }),
    h('div', { class: 'api-layout' }, nav, h('div', { class: 'api-main' }, search, empty, sections)));
}

function ensureStylesheet() {
  if (!document.querySelector('link[href="/css/api-reference.css"]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/css/api-reference.css' }));
  }
}

export function render() {
  ensureStylesheet();
  const body = h('div', {}, loadingState('Loading the API description…'));
  const page = h('div', { class: 'page page-api-reference' },
    pageHeader({ title: 'API reference', eyebrow: 'Developers',
      description: 'Every endpoint of the REST API and the pipeline CRM, from openapi.yaml.' }),
    body);
  const load = async () => {
    replace(body, loadingState('Loading the API description…'));
    try {
      const response = await fetch('/v1/openapi.json', { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`The API description could not be loaded (HTTP ${response.status}).`);
      renderSpec(body, await response.json());
    } catch (error) {
      replace(body, errorState(error, load));
    }
  };
  load();
  return page;
}
