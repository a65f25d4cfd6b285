// The container's health check (image HEALTHCHECK and the Pulumi program both run `node /app/healthcheck.js`):
// node is the only binary the image is sure to have; slim images ship no curl.
require('http')
  .get(`http://127.0.0.1:${process.env.PORT || 8080}/health`, (r) => process.exit(r.statusCode === 200 ? 0 : 1))
  .on('error', () => process.exit(1));
