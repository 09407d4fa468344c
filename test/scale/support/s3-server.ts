// Child process of the scale lane: s3rver on 127.0.0.1:<port>, objects under <dir>, with one
// bucket. Started by `startS3` (servers.ts); SIGTERM closes it.
import S3rver from 's3rver';

const [directory = '.', port = '0', bucket = 'trustplane'] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
await server.run();
process.stdout.write('s3 ready\n');
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
