// Catches a model whose features name fields that no record has: a typo (`room` for `rooms`), or
// a nested s3db.js attribute written as a path (`profile.age`), which features do not resolve.
// Such a feature is missing in every training record, so imputation would fill it with one value
// and the model would silently learn nothing from it.
import { DataValidationError } from './errors.js';

/**
 * Throws a DataValidationError for the first feature of `preparation` that is missing in all
 * `samples` training records and is not an attribute of `resource`'s schema. A model with `map`
 * may make fields of its own, so only the core's warning applies there (see the core's
 * `uninformative_features`), as it does to a declared attribute that no record has filled yet.
 */
export function assertFeaturesExist(preparation, samples, { resource, config, modelName }) {
  if (!preparation || samples === 0 || typeof config.map === 'function') return;
  const attributes = Object.keys(resource?.schema?.attributes ?? resource?.attributes ?? {});
  if (attributes.length === 0) return;
  for (const feature of preparation.features) {
    if (feature.missing < samples || attributes.includes(feature.name)) continue;
    throw new DataValidationError(`Model "${modelName}": feature "${feature.name}" is in none of the ${samples} training records and is not an attribute of resource "${config.resource}"${hint(feature.name, attributes)}`, {
      model: modelName,
      feature: feature.name,
      attributes,
    });
  }
}

/** What the user probably meant: a nested attribute's path, or the closest attribute name. */
function hint(name, attributes) {
  const [head] = name.split('.');
  if (name.includes('.') && attributes.includes(head)) {
    const path = `record.${name.split('.').join('?.')}`;
    return `. Nested attributes are not read by path: flatten it in the model's \`map\` (\`map: (record) => ({ ...record, '${name}': ${path} })\`) and predict with \`{ '${name}': … }\``;
  }
  const closest = attributes
    .map((attribute) => ({ attribute, distance: editDistance(name.toLowerCase(), attribute.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  if (closest && closest.distance <= Math.max(1, Math.floor(name.length / 3))) return `. Did you mean "${closest.attribute}"?`;
  return ` (its attributes: ${attributes.join(', ')})`;
}

/** Levenshtein distance (insertions, deletions and substitutions each cost 1). */
function editDistance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
