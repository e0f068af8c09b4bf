// /openapi/v2: a minimal, valid OpenAPI v2 document in the protobuf form (gnostic openapi_v2.Document) that client-go
// asks for. It carries no definitions: kubectl 1.27's explain fetches it before it switches to /openapi/v3 (and fails
// when it is missing); newer kubectl uses v3 only. Clients that look types up here find none and fall back to their
// built-in knowledge (kubectl's strategic merge patch) or to /openapi/v3.

/** '@' (as in the Accept header clients send) would not parse as a media type in a Content-Type */
export const openapiV2ContentType = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function str(field: number, s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
}

function msg(field: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
}

let cached: Buffer | undefined;

/** Document{swagger: "2.0", info: {title: "Kubernetes", version}} */
export function openapiV2Proto(version = 'v1.32.0'): Buffer {
  cached ??= Buffer.concat([str(1, '2.0'), msg(2, Buffer.concat([str(1, 'Kubernetes'), str(2, version)]))]);
  return cached;
}
