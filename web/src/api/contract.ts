/**
 * The contract's names and limits (src/contract/values.ts and limits.ts): they import nothing, so the
 * dashboard bundles the same lists the server checks against instead of copying them.
 */
export * from '../../../src/contract/values.js';
export * from '../../../src/contract/limits.js';
