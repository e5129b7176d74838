// Runs s3rver in a process of its own (see s3-server.ts): argv is the folder and the bucket; it
// prints its address as one JSON line and serves until SIGTERM.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
if (directory === undefined || bucket === undefined) throw new Error('usage: s3-server-main.ts <directory> <bucket>');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
