// Starts @20minutes/s3rver (npm, pinned in package.json) on loopback for the S3 tests: an S3 server
// that verifies SigV4 signatures (a wrong secret is SignatureDoesNotMatch). The package ships no
// command, so this is its command.
// Usage: node --openssl-legacy-provider s3rver.mjs DIR PORT BUCKET...
// (its ListObjectsV2 continuation tokens are DES-encrypted, which OpenSSL 3 keeps in its legacy
// provider.) Its access key is S3RVER with the secret S3RVER. Prints "listening PORT" when ready.
import S3rver from '@20minutes/s3rver'

const [dir, port, ...buckets] = process.argv.slice(2)
if (!dir || !port) {
  console.error('usage: s3rver.mjs DIR PORT BUCKET...')
  process.exit(2)
}
const server = new S3rver({
  directory: dir,
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
})
server.run().then(
  (a) => console.log(`listening ${a.port}`),
  (e) => {
    console.error(`s3rver: ${e.message}`)
    process.exit(1)
  }
)
