// The aws double's Provider: nothing exists outside Pulumi's state. Create answers with the inputs and
// the computed outputs of resources.ts, update keeps the computed outputs, read returns the state it is
// given (no drift), delete forgets. Invokes answer with a fixed account, the configured region and
// three zones. Sources and assumptions are listed in main.ts.
import type * as provider from '@pulumi/pulumi/provider';
import { compact, lockedVersion, parseUrn, type DoubleProvider } from '../common';
import { diffProperties } from '../diff';
import { ACCOUNT_ID, autoName, AWS_TYPES, DEFAULT_REGION, invokeResult, type AwsContext, type AwsTypeSpec } from './resources';

type Props = Record<string, unknown>;

/** Outputs the provider adds besides the computed ones of a type. */
const PROVIDER_OUTPUTS = ['id', 'tagsAll'];

function specOf(type: string): AwsTypeSpec {
  const spec = AWS_TYPES[type];
  if (!spec) throw new Error(`the aws test double does not implement ${type} (test/providers/aws/resources.ts)`);
  return spec;
}

/** The computed output names of a type, for an object with these inputs. */
function computedKeys(spec: AwsTypeSpec, ctx: AwsContext): string[] {
  return [...Object.keys(spec.make(ctx).outs), ...PROVIDER_OUTPUTS];
}

/** Whether a change of `key` needs a new object. */
export function forcesReplacement(spec: AwsTypeSpec, key: string): boolean {
  return spec.replaceOn === 'all-but-tags' ? key !== 'tags' : spec.replaceOn.includes(key);
}

/** `tagsAll`: the tags plus the provider's default tags, of which the double has none. */
function withTagsAll(outs: Props): Props {
  return outs.tags && typeof outs.tags === 'object' ? { ...outs, tagsAll: outs.tags } : outs;
}

export function awsProvider(): DoubleProvider {
  let region = DEFAULT_REGION;
  const context = (urn: string, inputs: Props): AwsContext => ({ urn, name: parseUrn(urn).name, region, account: ACCOUNT_ID, inputs });

  return {
    version: lockedVersion('@pulumi/aws'),

    configure(config) {
      if (typeof config.region === 'string' && config.region !== '') region = config.region;
    },

    async check(urn, olds, news) {
      const { type } = parseUrn(urn);
      const inputs = compact({ ...(news ?? {}) }) as Props;
      const spec = AWS_TYPES[type];
      if (!spec) return { inputs, failures: [{ property: '', reason: `the aws test double does not implement ${type}` }] };
      const failures: provider.CheckFailure[] = [];
      for (const key of spec.required ?? []) {
        if (inputs[key] === undefined || inputs[key] === '') failures.push({ property: key, reason: `${key} is required` });
      }
      const auto = spec.autoName;
      // Autonaming keeps the name an earlier check chose, so a later update does not rename (replace).
      if (auto && inputs[auto.property] === undefined) inputs[auto.property] = olds?.[auto.property] ?? autoName(context(urn, inputs), auto.maxLength);
      return { inputs, failures };
    },

    async diff(_id, urn, olds, news, oldInputs) {
      const spec = specOf(parseUrn(urn).type);
      // The engine sends the old inputs; without them (a direct call), the state minus the outputs the
      // provider computed (those the new inputs set, like an Eip's domain, are compared).
      const computed = computedKeys(spec, context(urn, olds ?? {})).filter((k) => !(k in (news ?? {})));
      const previous: Props = oldInputs ?? omit(olds ?? {}, computed);
      const keys = [...Object.keys(previous), ...Object.keys(news ?? {})];
      const result = diffProperties(keys, (k) => ({ replace: forcesReplacement(spec, k) }), previous, news ?? {});
      return { ...result, inputDiff: true };
    },

    async create(urn, inputs) {
      const spec = specOf(parseUrn(urn).type);
      const auto = spec.autoName;
      const given: Props = auto && inputs[auto.property] === undefined ? { ...inputs, [auto.property]: autoName(context(urn, inputs), auto.maxLength) } : inputs;
      const { id, outs } = spec.make(context(urn, given));
      return { id, outs: compact(withTagsAll({ ...outs, ...given, id })) };
    },

    async read(id, _urn, props) {
      return { id, props: props ?? {} };
    },

    async update(id, urn, olds, news) {
      const spec = specOf(parseUrn(urn).type);
      const kept = pick(olds ?? {}, computedKeys(spec, context(urn, olds ?? {})));
      return { outs: compact(withTagsAll({ ...kept, ...news, id })) };
    },

    async delete() {
      // Nothing to remove: the object lived only in Pulumi's state.
    },

    async invoke(token, args) {
      const outputs = invokeResult(token, args ?? {}, region);
      if (!outputs) throw new Error(`the aws test double does not implement the function ${token} (test/providers/aws/resources.ts)`);
      return { outputs };
    },
  };
}

function pick(o: Props, keys: string[]): Props {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

function omit(o: Props, keys: string[]): Props {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}
