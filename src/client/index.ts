// The client package: what components import.
export * from './rest.js';
export * from './errors.js';
export * from './resource.js';
export * from './objects.js';
export * from './selector.js';
export { SharedInformer, type EventHandlers, type InformerOptions } from './informer.js';
export { SharedInformerFactory } from './factory.js';
export { Lister, Store, type Selection } from './store.js';
export * from './workqueue.js';
export * from './leaderelection.js';
export * from './events.js';
export * from './microtime.js';
export { loadKubeconfig, inClusterConfig } from './kubeconfig.js';
