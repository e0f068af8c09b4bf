// Hand-built FieldSchema fixtures with upstream's merge facts, for the patch engine tests (no tests here).
import type { FieldSchema } from '../../api/schema-types.js';

const str: FieldSchema = { type: 'string' };
const int: FieldSchema = { type: 'integer' };
const bool: FieldSchema = { type: 'boolean' };
const ios: FieldSchema = { type: 'int-or-string' };
const strMap: FieldSchema = { type: 'map', items: str };

const obj = (fields: Record<string, FieldSchema>, extra: Partial<FieldSchema> = {}): FieldSchema => ({ type: 'object', fields, ...extra });
const mapList = (items: FieldSchema, key: string, keys: string[] = [key], strategy = 'merge'): FieldSchema =>
  ({ type: 'array', items, patchStrategy: strategy, patchMergeKey: key, listType: 'map', listMapKeys: keys });

export const objectMeta = obj({
  name: str, namespace: str, uid: str, resourceVersion: str, generation: int, creationTimestamp: str,
  labels: strMap, annotations: strMap,
  finalizers: { type: 'array', items: str, patchStrategy: 'merge', listType: 'set' },
  ownerReferences: mapList(obj({ apiVersion: str, kind: str, name: str, uid: str, controller: bool }), 'uid'),
  managedFields: { type: 'array', listType: 'atomic', items: { type: 'any' } },
});

const containerPort = obj({ containerPort: int, protocol: str, name: str, hostPort: int });
const envVar = obj({ name: str, value: str, valueFrom: obj({ configMapKeyRef: obj({ name: str, key: str }, { mapType: 'atomic' }) }) });
const volumeMount = obj({ name: str, mountPath: str, readOnly: bool });
const resources = obj({ limits: { type: 'map', items: ios }, requests: { type: 'map', items: ios } });
export const container = obj({
  name: str, image: str, imagePullPolicy: str,
  command: { type: 'array', items: str }, args: { type: 'array', items: str },
  ports: mapList(containerPort, 'containerPort', ['containerPort', 'protocol']),
  env: mapList(envVar, 'name'),
  volumeMounts: mapList(volumeMount, 'mountPath'),
  resources,
});
const volume = obj({ name: str, configMap: obj({ name: str }), emptyDir: obj({ medium: str }), secret: obj({ secretName: str }) });
const toleration = obj({ key: str, operator: str, value: str, effect: str });
export const podSpec = obj({
  containers: mapList(container, 'name'),
  initContainers: mapList(container, 'name'),
  volumes: mapList(volume, 'name', ['name'], 'merge,retainKeys'),
  nodeSelector: strMap,
  restartPolicy: str,
  tolerations: { type: 'array', items: toleration, listType: 'atomic' },
});
const podTemplate = obj({ metadata: objectMeta, spec: podSpec });
const labelSelector = obj({ matchLabels: strMap, matchExpressions: { type: 'array', listType: 'atomic', items: obj({ key: str, operator: str, values: { type: 'array', items: str } }) } }, { mapType: 'atomic' });
const condition = obj({ type: str, status: str, reason: str, message: str });

export const deployment = obj({
  apiVersion: str, kind: str, metadata: objectMeta,
  spec: obj({
    replicas: int, selector: labelSelector, template: podTemplate, minReadySeconds: int, revisionHistoryLimit: int,
    progressDeadlineSeconds: int, paused: bool,
    strategy: obj({ type: str, rollingUpdate: obj({ maxSurge: ios, maxUnavailable: ios }) }, { patchStrategy: 'retainKeys' }),
  }),
  status: obj({ replicas: int, readyReplicas: int, conditions: mapList(condition, 'type') }),
});

export const pod = obj({ apiVersion: str, kind: str, metadata: objectMeta, spec: podSpec, status: obj({ phase: str, conditions: mapList(condition, 'type') }) });

const servicePort = obj({ name: str, port: int, targetPort: ios, protocol: str, nodePort: int });
export const service = obj({
  apiVersion: str, kind: str, metadata: objectMeta,
  spec: obj({ ports: mapList(servicePort, 'port', ['port', 'protocol']), selector: { type: 'map', items: str, mapType: 'atomic' }, type: str, clusterIP: str }),
});

/** A Deployment as the server stores it. */
export function liveDeployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '10', generation: 1, labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
            { name: 'sidecar', image: 'busybox', command: ['sleep', 'inf'] },
          ],
          volumes: [{ name: 'cfg', configMap: { name: 'web-cfg' } }],
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 2 },
  };
}
