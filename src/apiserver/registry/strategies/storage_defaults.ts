// PersistentVolumeClaim spec defaults, shared with StatefulSet volumeClaimTemplates.
import { isObject, setDefault } from './field.js';

export function defaultPVCSpec(spec: any): void {
  if (!isObject(spec)) return;
  setDefault(spec, 'volumeMode', 'Filesystem');
}
