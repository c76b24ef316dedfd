// Catches a model whose features or target name fields that no record has: a typo (`room` for
// `rooms`), or a nested s3db.js attribute written as a path (`profile.age`), which are not
// resolved. Such a feature is missing in every training record, so imputation would fill it with
// one value and the model would silently learn nothing from it; such a target leaves no training
// record at all, which would read as a resource with too few records.
import { DataValidationError } from './errors.js';
import { schemaAttributes } from './preprocessing.js';

/**
 * Throws a DataValidationError for the first feature of `preparation` that is missing in all
 * `samples` training records and is not an attribute of `resource`'s schema. A model with `map`
 * may make fields of its own, so only the core's warning applies there (see the core's
 * `uninformative_features`), as it does to a declared attribute that no record has filled yet.
 */
export function assertFeaturesExist(preparation, samples, { resource, config, modelName }) {
  if (!preparation || samples === 0) return;
  const attributes = checkableAttributes(resource, config);
  if (!attributes) return;
  for (const feature of preparation.features) {
    if (feature.missing < samples || attributes.includes(feature.name)) continue;
    throw notInRecords(modelName, 'feature', feature.name, `${samples} training records`, config.resource, attributes);
  }
}

/**
 * Throws a DataValidationError when `target` is missing in all `records` (`records` > 0) and is not
 * an attribute of `resource`'s schema. As for features, a model with `map` may make the field
 * itself, and a declared attribute that no record has filled yet is left to the usual
 * InsufficientDataError.
 */
export function assertTargetExists(target, { records, withTarget, resource, config, modelName }) {
  if (records === 0 || withTarget > 0) return;
  const attributes = checkableAttributes(resource, config);
  if (!attributes || attributes.includes(target)) return;
  throw notInRecords(modelName, 'target', target, `${records} records read`, config.resource, attributes);
}

/**
 * The names `resource`'s schema declares, or null when a field's absence says nothing: the model
 * has a `map` (which may make fields of its own), or the resource declares no schema.
 */
function checkableAttributes(resource, config) {
  if (typeof config.map === 'function') return null;
  const attributes = Object.keys(schemaAttributes(resource));
  return attributes.length > 0 ? attributes : null;
}

/** The error for a `role` field ('feature', 'target') that none of `records` has and the schema does not declare. */
function notInRecords(modelName, role, name, records, resourceName, attributes) {
  return new DataValidationError(`Model "${modelName}": ${role} "${name}" is in none of the ${records} and is not an attribute of resource "${resourceName}"${hint(name, attributes)}`, {
    model: modelName,
    [role]: name,
    attributes,
  });
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

/**
 * Edit distance where an insertion, a deletion, a substitution or a swap of two neighbouring
 * letters each cost 1 (optimal string alignment): `prcie` is one typo from `price`.
 */
function editDistance(a, b) {
  const rows = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}
