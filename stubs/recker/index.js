// s3db.js 21.6.2 pins recker 1.0.103, which this registry lacks; 1.0.56 has everything it uses
// except the RedDB client, which s3db-ml never touches.
export * from 'recker-real';

export function createRedDbClient() {
  throw new Error('recker RedDB client is not available in this install (stubbed by s3db-ml)');
}
