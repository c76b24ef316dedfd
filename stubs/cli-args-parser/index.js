// s3db.js imports this only from its command-line tool, which s3db-ml never runs.
export function createCLI() {
  throw new Error('cli-args-parser is stubbed in s3db-ml: the s3db.js CLI is not available here');
}
export default { createCLI };
