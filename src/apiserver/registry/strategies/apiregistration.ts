// apiregistration.k8s.io/v1 APIService (upstream kube-aggregator's validation and defaults): the
// name is `version.group`; a local APIService (no service) takes no CA bundle; priorities are
// bounded; an aggregated one names its Service, whose port defaults to 443.
import { isDNS1035Label, isDNS1123Subdomain, isValidPathSegmentName, isValidPortNum } from '../../../api/validation/index.js';
import { makeStrategy } from './base.js';
import { each, fe, isObject, obj, type Errs } from './field.js';

export const apiServiceStrategy = makeStrategy({
  namespaced: false, status: 'subresource',
  nameFunc: (name) => isValidPathSegmentName(name),
  defaults(o) {
    const spec = obj(o, 'spec');
    if (isObject(spec.service) && spec.service.port == null) spec.service.port = 443;
  },
  validate(o) {
    const spec = isObject(o.spec) ? o.spec : {};
    const group: string = spec.group ?? '', version: string = spec.version ?? '';
    const errs: Errs = [];
    const required = `${version}.${group}`;
    if (o.metadata.name && !isValidPathSegmentName(o.metadata.name).length && o.metadata.name !== required) {
      errs.push(fe.invalid('metadata.name', o.metadata.name, `must be \`spec.version+"."+spec.group\`: "${required}"`));
    }
    if (!group && version !== 'v1') errs.push(fe.required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
    if (group) errs.push(...each('spec.group', group, isDNS1123Subdomain(group)));
    errs.push(...each('spec.version', version, isDNS1035Label(version)));
    const gp = spec.groupPriorityMinimum ?? 0, vp = spec.versionPriority ?? 0;
    if (gp <= 0 || gp > 20000) errs.push(fe.invalid('spec.groupPriorityMinimum', gp, 'must be positive and less than 20000'));
    if (vp <= 0 || vp > 1000) errs.push(fe.invalid('spec.versionPriority', vp, 'must be positive and less than 1000'));
    const caBundle = typeof spec.caBundle === 'string' ? Buffer.from(spec.caBundle, 'base64') : undefined;
    if (!isObject(spec.service)) {
      if (caBundle?.length) errs.push(fe.invalid('spec.caBundle', `${caBundle.length} bytes`, 'local APIServices may not have a caBundle'));
      if (spec.insecureSkipTLSVerify) errs.push(fe.invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
      return errs;
    }
    if (!spec.service.namespace) errs.push(fe.required('spec.service.namespace'));
    if (!spec.service.name) errs.push(fe.required('spec.service.name'));
    const portErrs = isValidPortNum(spec.service.port);
    if (portErrs.length) errs.push(fe.invalid('spec.service.port', spec.service.port, `port is not valid: ${portErrs.join(', ')}`));
    if (spec.insecureSkipTLSVerify && caBundle?.length) errs.push(fe.invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
    return errs;
  },
});
