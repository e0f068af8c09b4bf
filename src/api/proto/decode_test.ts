import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeK8sProtobuf, isProtobuf, messageFor } from './decode.js';
import { protoMessages } from './schema.js';

// ---- a tiny encoder for hand-built fixtures ----
function varint(n: number | bigint): Buffer {
  let x = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (x >= 0x80n) { out.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
  out.push(Number(x));
  return Buffer.from(out);
}
const key = (no: number, wt: number) => varint((no << 3) | wt);
const vi = (no: number, n: number | bigint) => Buffer.concat([key(no, 0), varint(n)]);
const ld = (no: number, ...parts: (Buffer | string)[]) => {
  const b = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  return Buffer.concat([key(no, 2), varint(b.length), b]);
};
const envelope = (apiVersion: string, kind: string, raw: Buffer, ...extra: Buffer[]) =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), ld(1, ld(1, apiVersion), ld(2, kind)), ld(2, raw), ...extra]);
const name = (n: string) => ld(1, ld(1, n)); // metadata {name}

function assertBadRequest(body: Buffer, message: RegExp): void {
  assert.throws(() => decodeK8sProtobuf(body), (e: any) => {
    assert.equal(e.name, 'StatusError');
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    assert.match(e.message, message);
    return true;
  });
}

test('isProtobuf', () => {
  assert.equal(isProtobuf('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isProtobuf('application/vnd.kubernetes.protobuf; charset=utf-8'), true);
  assert.equal(isProtobuf('Application/VND.Kubernetes.Protobuf'), true);
  assert.equal(isProtobuf('application/vnd.kubernetes.protobuf;stream=watch'), true);
  assert.equal(isProtobuf('application/json'), false);
  assert.equal(isProtobuf(undefined), false);
});

test('messageFor maps (apiVersion, kind) to proto messages', () => {
  assert.equal(messageFor('v1', 'Pod'), 'k8s.io.api.core.v1.Pod');
  assert.equal(messageFor('apps/v1', 'Deployment'), 'k8s.io.api.apps.v1.Deployment');
  assert.equal(messageFor('rbac.authorization.k8s.io/v1', 'ClusterRole'), 'k8s.io.api.rbac.v1.ClusterRole');
  assert.equal(messageFor('autoscaling/v1', 'Scale'), 'k8s.io.api.autoscaling.v1.Scale');
  assert.equal(messageFor('policy/v1', 'Eviction'), 'k8s.io.api.policy.v1.Eviction');
  assert.equal(messageFor('apps/v1', 'DeleteOptions'), 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  assert.equal(messageFor('meta.k8s.io/v1', 'DeleteOptions'), 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  assert.equal(messageFor('apps.example.com/v1', 'Deployment'), undefined);
  assert.equal(messageFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), undefined);
  assert.equal(messageFor('v1', 'ObjectMeta'), undefined);
});

test('the table covers every built-in kind (except CRDs)', async () => {
  const { builtinResources } = await import('../resources.js');
  for (const r of builtinResources) {
    if (r.group === 'apiextensions.k8s.io') continue;
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    assert.ok(messageFor(apiVersion, r.kind), `${apiVersion} ${r.kind}`);
  }
  assert.deepEqual(protoMessages['k8s.io.api.core.v1.ConfigMap'], [
    [1, 'metadata', 'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta'], [2, 'data', 'map<string,string>'],
    [3, 'binaryData', 'map<string,bytes>'], [4, 'immutable', 'bool?']]);
});

test("upstream TestClientContentType vector (Pod snorlax from client-go)", () => {
  const body = Buffer.from(
    'k8s\x00\n\t\n\x02v1\x12\x03Pod\x12I\n\x17\n\x07snorlax\x12\x00\x1a\x00"\x00*\x002\x008\x00B\x00\x12\x1c\x1a\x002\x00B\x00J\x00R\x00X\x00`\x00h\x00'
    + '\x82\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2\x01\x00\x1a\x10\n\x00\x1a\x00"\x00*\x002\x00J\x00Z\x00r\x00\x1a\x00"\x00', 'latin1');
  // upstream's JSON for the same object: {"kind":"Pod","apiVersion":"v1","metadata":{"name":"snorlax","creationTimestamp":null},"spec":{"containers":null},"status":{}}
  assert.deepEqual(decodeK8sProtobuf(body), {
    apiVersion: 'v1', kind: 'Pod',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'snorlax' }, spec: {}, status: {} },
  });
});

test('recorded kubectl 1.32 body: create deployment web --image=nginx:1.27 --replicas=3 --port=80 -n default', () => {
  const body = Buffer.from('6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c4010a260a0377656212001a0764656661756c7422002a003200380042005a0a0a036170701203776562128b010803120c0a0a0a0361707012037765621a710a1c0a0012001a0022002a003200380042005a0a0a036170701203776562125112330a056e67696e78120a6e67696e783a312e32372a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200', 'hex');
  const { apiVersion, kind, object } = decodeK8sProtobuf(body);
  assert.equal(apiVersion, 'apps/v1');
  assert.equal(kind, 'Deployment');
  assert.deepEqual(object, {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }] },
      },
      strategy: {},
    },
    status: {},
  });
});

test('recorded kubectl 1.32 body: create secret generic s --from-literal=k=vÿ (bytes -> base64)', () => {
  const body = Buffer.from('6b3873000a0c0a027631120653656372657412260a180a017312001a0764656661756c7422002a0032003800420012080a016b120376c3bf1a001a002200', 'hex');
  assert.deepEqual(decodeK8sProtobuf(body).object, {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' },
    data: { k: Buffer.from('vÿ', 'utf8').toString('base64') },
  });
});

test('DeleteOptions in any group version; pointer zeros and false are kept', () => {
  const raw = Buffer.concat([vi(1, 0), ld(2, ld(1, 'uid-1')), vi(3, 0), ld(4, 'Foreground'), ld(5, 'All')]);
  for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
    assert.deepEqual(decodeK8sProtobuf(envelope(apiVersion, 'DeleteOptions', raw)).object, {
      apiVersion, kind: 'DeleteOptions',
      gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' }, orphanDependents: false, propagationPolicy: 'Foreground', dryRun: ['All'],
    });
  }
});

test('Time, MicroTime and zero Time', () => {
  const ts = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
  const raw = Buffer.concat([
    ld(1, ld(1, 'ev'), ld(8, /* zero creationTimestamp */)),
    ld(6, vi(1, ts), vi(2, 999_000_000)), // firstTimestamp: JSON keeps whole seconds
    ld(7, vi(1, 0), vi(2, 0)), // lastTimestamp at the epoch, not zero
    ld(10, vi(1, ts), vi(2, 123_456_789)), // eventTime (MicroTime)
    vi(8, 0), // count: value field, zero -> omitted
  ]);
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'Event', raw)).object, {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'ev' },
    firstTimestamp: '2024-01-02T03:04:05Z', lastTimestamp: '1970-01-01T00:00:00Z', eventTime: '2024-01-02T03:04:05.123456Z',
  });
  const micro0 = ld(10, vi(1, ts));
  assert.equal(decodeK8sProtobuf(envelope('v1', 'Event', micro0)).object.eventTime, '2024-01-02T03:04:05.000000Z');
});

test('Quantity, IntOrString, packed and negative integers, pointer strings', () => {
  const container = Buffer.concat([
    ld(1, 'c'), ld(2, 'img'),
    ld(8, ld(1, ld(1, 'cpu'), ld(2, ld(1, '500m'))), ld(1, ld(1, 'memory'), ld(2, ld(1, '1Gi'))), ld(2, ld(1, 'x'))), // resources
    ld(10, ld(1, ld(3, ld(1, vi(1, 0), vi(2, 8080)))), vi(2, 3)), // livenessProbe: handler (inline).tcpSocket.port = 8080, initialDelaySeconds
    ld(11, ld(1, ld(2, ld(2, vi(1, 1), ld(3, 'http'))))), // readinessProbe.httpGet.port = "http"
    ld(7, ld(1, 'A'), ld(3, ld(3, ld(1, ld(1, 'cm')), ld(2, 'key')))), // env valueFrom.configMapKeyRef (LocalObjectReference inline)
  ]);
  const podSpec = Buffer.concat([
    ld(1, ld(1, 'v'), ld(2, ld(1, ld(1, '/data')))), // volumes: [{name, hostPath (VolumeSource inline)}]
    ld(2, container),
    ld(14, vi(4, 5), ld(4, varint(6), varint(7)), vi(2, 0)), // securityContext: supplementalGroups unpacked + packed, runAsUser 0
    vi(25, -5), // priority (pointer int32), 10-byte varint
    ld(29, ''), // runtimeClassName: pointer string, "" kept
  ]);
  const obj = decodeK8sProtobuf(envelope('v1', 'Pod', Buffer.concat([name('p'), ld(2, podSpec)]))).object as any;
  const c = obj.spec.containers[0];
  assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { x: '0' } });
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 'http' } });
  assert.deepEqual(c.livenessProbe, { tcpSocket: { port: 8080 }, initialDelaySeconds: 3 });
  assert.deepEqual(c.env, [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'key' } } }]);
  assert.deepEqual(obj.spec.volumes, [{ name: 'v', hostPath: { path: '/data' } }]);
  assert.deepEqual(obj.spec.securityContext, { runAsUser: 0, supplementalGroups: [5, 6, 7] });
  assert.equal(obj.spec.priority, -5);
  assert.equal(obj.spec.runtimeClassName, '');
});

test('RawExtension and FieldsV1 hold JSON', () => {
  const mf = ld(17, ld(1, 'kubectl'), ld(2, 'Update'), ld(4, vi(1, 1700000000)), ld(6, 'FieldsV1'), ld(7, ld(1, '{"f:data":{".":{}}}')));
  const raw = Buffer.concat([ld(1, ld(1, 'rev'), mf), ld(2, ld(1, '{"spec":{"template":{"x":1}}}')), vi(3, 4)]);
  assert.deepEqual(decodeK8sProtobuf(envelope('apps/v1', 'ControllerRevision', raw)).object, {
    apiVersion: 'apps/v1', kind: 'ControllerRevision', revision: 4,
    metadata: { name: 'rev', managedFields: [{ manager: 'kubectl', operation: 'Update', time: '2023-11-14T22:13:20Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {} } } }] },
    data: { spec: { template: { x: 1 } } },
  });
});

test('unknown fields of every wire type are skipped; maps keep empty values', () => {
  const fixed64 = Buffer.concat([key(90, 1), Buffer.alloc(8, 0xff)]);
  const fixed32 = Buffer.concat([key(91, 5), Buffer.alloc(4, 0xff)]);
  const group = Buffer.concat([key(92, 3), vi(1, 7), ld(2, 'x'), key(92, 4)]);
  const meta = Buffer.concat([ld(1, 'cm'), vi(88, 123456789), ld(89, 'junk'), fixed64, fixed32, group, ld(11, ld(1, 'k'), ld(2, ''))]);
  const raw = Buffer.concat([ld(1, meta), ld(2, ld(1, 'a'), ld(2, '')), ld(2, ld(1, 'b')), ld(3, ld(1, 'bin'), ld(2, Buffer.from([0, 1, 2]))), vi(99, 1)]);
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'ConfigMap', raw)).object, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labels: { k: '' } },
    data: { a: '', b: '' }, binaryData: { bin: 'AAEC' },
  });
});

test('malformed bodies are 400 BadRequest', () => {
  assertBadRequest(Buffer.from('{"kind":"Pod"}'), /does not appear to be a protobuf message/);
  assertBadRequest(Buffer.from('k8s'), /does not appear to be a protobuf message/);
  const good = envelope('v1', 'ConfigMap', name('cm'));
  assertBadRequest(good.subarray(0, good.length - 2), /unexpected EOF/);
  assertBadRequest(envelope('v1', 'Foo', name('x')), /no kind "Foo" is registered for version "v1"/);
  assertBadRequest(envelope('apiextensions.k8s.io/v1', 'CustomResourceDefinition', name('x')), /no kind/);
  assertBadRequest(envelope('v1', 'ConfigMap', vi(1, 5)), /wrong wireType/);
  assertBadRequest(envelope('v1', 'ConfigMap', name('cm'), ld(3, 'gzip')), /content encoding/);
  assertBadRequest(envelope('apps/v1', 'ControllerRevision', ld(2, ld(1, '{not json'))), /not valid JSON/);
  assertBadRequest(Buffer.concat([Buffer.from('k8s\0', 'latin1'), ld(2, name('x'))]), /Kind' is missing/);
  assertBadRequest(envelope('v1', 'ConfigMap', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), /unexpected EOF/);
  assertBadRequest(envelope('v1', 'ConfigMap', Buffer.concat([key(5, 7)])), /illegal wireType 7/);
});

test('decoding is fast enough for request bodies', () => {
  const body = Buffer.from('6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c4010a260a0377656212001a0764656661756c7422002a003200380042005a0a0a036170701203776562128b010803120c0a0a0a0361707012037765621a710a1c0a0012001a0022002a003200380042005a0a0a036170701203776562125112330a056e67696e78120a6e67696e783a312e32372a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200', 'hex');
  const start = performance.now();
  for (let i = 0; i < 5000; i++) decodeK8sProtobuf(body);
  const perDecodeUs = ((performance.now() - start) * 1000) / 5000;
  assert.ok(perDecodeUs < 500, `${perDecodeUs.toFixed(1)}µs per Deployment decode`);
});
