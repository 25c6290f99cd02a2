import type { FastifyInstance } from 'fastify';
import type { ApiBackend } from './backend.js';
import type { PresetDto } from '../contract/index.js';
import { presetResponse } from './schemas.js';

/** Platform presets: what `POST /api/platforms { preset, streamKey }` can be made from. */
export function registerPresetRoutes(app: FastifyInstance, backend: ApiBackend): void {
  app.get(
    '/api/presets',
    { schema: { response: { 200: { type: 'array', items: presetResponse } } } },
    (): PresetDto[] => backend.presets(),
  );
}
