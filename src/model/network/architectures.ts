/** The architectures by name (settings.model.arch): each one's weights and its network over them. */
import type { ArchKind, ModelSettings } from '../config';
import type { Architecture, Network } from './architecture';
import type { ParamSpec, Params } from './params';
import { recurrentArchitecture } from './recurrent';
import { transformerArchitecture } from './transformer';

const ARCHITECTURES: Record<ArchKind, Architecture> = {
  rnn: recurrentArchitecture,
  transformer: transformerArchitecture,
};

function architecture(m: ModelSettings): Architecture {
  const a = ARCHITECTURES[m.arch];
  if (!a) throw new Error(`model.arch: unknown architecture ${m.arch}`);
  return a;
}

/** The weights (names, shapes, initialisers) of the model the settings describe. */
export function paramSpecs(m: ModelSettings, srcVocab: number, tgtVocab: number): ParamSpec[] {
  return architecture(m).paramSpecs(m, srcVocab, tgtVocab);
}

export function createNetwork(m: ModelSettings, params: Params): Network {
  return architecture(m).create(m, params);
}
