// The pipeline CRM's API (/api/brands/{workspace}/crm/…) for the console pages, plus the
// workspace's members and teams (for assignees), cached for the page's lifetime.

import { api } from '../api.js';
import { session } from '../session.js';
import { isPendingDelete } from '../components/undo.js';

function base() {
  return `/api/brands/${encodeURIComponent(session.me.tenant.id)}/crm`;
}

const enc = encodeURIComponent;

export const crm = {
  presets: () => api.get(`${base()}/entity-presets`),
  entities: () => api.get(`${base()}/entities`),
  entity: (entity) => api.get(`${base()}/entities/${enc(entity)}`),
  createEntity: (body) => api.post(`${base()}/entities`, body),
  updateEntity: (entity, body) => api.put(`${base()}/entities/${enc(entity)}`, body),
  deleteEntity: (entity, force) => api.del(`${base()}/entities/${enc(entity)}`, { query: force ? { force: 'true' } : undefined }),

  createField: (entity, body) => api.post(`${base()}/entities/${enc(entity)}/fields`, body),
  updateField: (id, body) => api.put(`${base()}/fields/${enc(id)}`, body),
  deleteField: (id) => api.del(`${base()}/fields/${enc(id)}`),
  reorderFields: (ids) => api.put(`${base()}/fields/reorder`, { fields: ids.map((id, position) => ({ id, position })) }),

  createPipeline: (entity, body) => api.post(`${base()}/entities/${enc(entity)}/pipelines`, body),
  updatePipeline: (id, body) => api.put(`${base()}/pipelines/${enc(id)}`, body),
  deletePipeline: (id, force) => api.del(`${base()}/pipelines/${enc(id)}`, { query: force ? { force: 'true' } : undefined }),
  stats: (id) => api.get(`${base()}/pipelines/${enc(id)}/stats`),

  createStage: (pipeline, body) => api.post(`${base()}/pipelines/${enc(pipeline)}/stages`, body),
  updateStage: (id, body) => api.put(`${base()}/stages/${enc(id)}`, body),
  deleteStage: (id, moveTo) => api.del(`${base()}/stages/${enc(id)}`, { query: moveTo ? { move_to_stage_id: moveTo } : undefined }),
  reorderStages: (ids) => api.put(`${base()}/stages/reorder`, { stages: ids.map((id, position) => ({ id, position })) }),

  /** `params`: a URLSearchParams or an object; repeated keys (values[x][]) need the former. */
  entries: (entity, params) => {
    const text = (params instanceof URLSearchParams ? params : new URLSearchParams(params)).toString();
    // Entries deleted a moment ago (still undoable) are left out.
    return api.get(`${base()}/entities/${enc(entity)}/entries${text ? `?${text}` : ''}`)
      .then((result) => {
        if (!result || !Array.isArray(result.data)) return result;
        const data = result.data.filter((e) => !isPendingDelete(crm.entryPath(e.id)));
        const gone = result.data.length - data.length;
        return { ...result, data, total: typeof result.total === 'number' ? result.total - gone : result.total };
      });
  },
  entryPath: (id) => `${base()}/entries/${enc(id)}`,
  entry: (id) => api.get(`${base()}/entries/${enc(id)}`, { query: { include_customer: 'true' } }),
  createEntry: (entity, body) => api.post(`${base()}/entities/${enc(entity)}/entries`, body),
  updateEntry: (id, body) => api.put(`${base()}/entries/${enc(id)}`, body),
  moveEntry: (id, stageId) => api.put(`${base()}/entries/${enc(id)}/stage`, { stage_id: stageId }),
  deleteEntry: (id) => api.del(`${base()}/entries/${enc(id)}`),
};

export { workspacePeople } from '../components/people.js';
