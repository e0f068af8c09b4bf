// Facts about a Pod's status that the API server and the controllers both read.
import type { KObject } from './types.js';

/** the pod's Ready condition is True (upstream's podutil.IsPodReady) */
export const isPodReady = (pod: KObject): boolean => !!pod.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
