// A RestClient whose reads ask for PartialObjectMetadata(List): list, get and watch return only
// metadata (as client-go's metadata client). Writes are unchanged.
import { RestClient, type RequestOptions } from '../client/index.js';

export const partialMetadataAccept = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json';

export class MetadataClient extends RestClient {
  override request<T = any>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return super.request<T>(method, path, body, method === 'GET' && !opts.accept ? { ...opts, accept: partialMetadataAccept } : opts);
  }

  override stream(method: string, path: string, opts: RequestOptions = {}) {
    return super.stream(method, path, method === 'GET' && !opts.accept ? { ...opts, accept: partialMetadataAccept } : opts);
  }
}
