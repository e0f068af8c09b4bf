// Pure validators (no imports from the rest of k8ts).
export * from './names.js';
export * from './quantity.js';
export * from './net.js';
export * from './cron.js';
