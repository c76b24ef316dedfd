// The version numbers the versions API takes (loadModelVersion, setActiveVersion, rollbackVersion,
// compareVersions, getTrainingData, report): one rule and one error for each way they go wrong,
// whichever method is called. A version that is not a positive whole number is refused before any
// storage call (on S3, s3db.js's handler retries a GET of a missing key for seconds); a well-formed
// one that is not stored is a ModelNotFoundError, as an unknown model is.
import { DataValidationError, ModelNotFoundError, display } from './errors.js';

/** Throws a DataValidationError (422) unless `version` is a positive whole number. */
export function checkVersionNumber(modelName, version, argument = 'version') {
  if (!Number.isInteger(version) || version < 1) {
    throw new DataValidationError(`\`${argument}\` must be a positive whole number, got ${display(version)}`, {
      modelName,
      [argument]: display(version),
    });
  }
}

/** The ModelNotFoundError (404) of a well-formed version that is not stored. */
export function versionNotFound(modelName, version) {
  return new ModelNotFoundError(`Version ${version} of model "${modelName}" not found`, { modelName, version, statusCode: 404 });
}
