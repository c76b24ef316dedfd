// The Python with `safetensors` and `pyarrow` whose reference readers check the files we write
// (the model export, the training snapshot). `.ci/run` provides one as S3DB_ML_PYTHON; on a
// machine without it those checks are left out, but with S3DB_ML_REQUIRE_PYTHON=1 (set in CI) its
// absence fails the test, so that a check CI relies on never passes by doing nothing.
export function referencePython() {
  const python = process.env.S3DB_ML_PYTHON || null;
  if (!python && process.env.S3DB_ML_REQUIRE_PYTHON === '1') {
    throw new Error('S3DB_ML_PYTHON is not set, and S3DB_ML_REQUIRE_PYTHON=1 asks for the checks with pyarrow and safetensors (see .ci/run)');
  }
  return python;
}
