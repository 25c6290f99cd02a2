/**
 * The contract: the shapes, names and limits that the engine, the control plane, observability, the
 * store, the API and the dashboard share, each declared once here. It imports nothing, so every layer
 * may depend on it and it on none (the role MediaMTX's internal/defs plays).
 */
export * from './values.js';
export * from './limits.js';
export type * from './engine.js';
export type * from './api.js';
export * from './job-dto.js';
