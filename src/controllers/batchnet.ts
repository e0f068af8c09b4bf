// Descriptor-table entries for the Job, CronJob, TTL-after-finished, Endpoints, EndpointSlice and
// EndpointSlice mirroring controllers. Job and CronJob time is read from clockFromEnv() (K8TS_CLOCK_OFFSET / K8TS_CLOCK_RATE).
import { clockFromEnv } from '../util/clock.js';
import { CronJobController } from './cronjob.js';
import { EndpointsController } from './endpoints.js';
import { EndpointSliceController } from './endpointslice.js';
import { EndpointSliceMirroringController } from './endpointslicemirroring.js';
import type { ControllerDescriptor } from './index.js';
import { JobController } from './job.js';
import { TTLAfterFinishedController } from './ttlafterfinished.js';

export const batchAndEndpointDescriptors: ControllerDescriptor[] = [
  {
    name: 'job-controller',
    start: (ctx, signal) => new JobController({ client: ctx.client, informers: ctx.informers, clock: clockFromEnv(), log: ctx.log }).run(5, signal),
  },
  {
    name: 'cronjob-controller',
    start: (ctx, signal) => new CronJobController({ client: ctx.client, informers: ctx.informers, clock: clockFromEnv(), log: ctx.log }).run(5, signal),
  },
  {
    name: 'ttl-after-finished-controller',
    start: (ctx, signal) => new TTLAfterFinishedController({ client: ctx.client, informers: ctx.informers, clock: clockFromEnv(), log: ctx.log }).run(5, signal),
  },
  {
    name: 'endpoints-controller',
    start: (ctx, signal) => new EndpointsController({ client: ctx.client, informers: ctx.informers, log: ctx.log }).run(5, signal),
  },
  {
    name: 'endpointslice-controller',
    start: (ctx, signal) => new EndpointSliceController({ client: ctx.client, informers: ctx.informers, log: ctx.log }).run(5, signal),
  },
  {
    name: 'endpointslice-mirroring-controller',
    start: (ctx, signal) => new EndpointSliceMirroringController({ client: ctx.client, informers: ctx.informers, log: ctx.log }).run(5, signal),
  },
];
