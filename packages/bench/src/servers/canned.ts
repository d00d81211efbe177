// The baselines of list-vs-bare: the same response bytes from bare Express (`express`) or from
// node:http alone (`raw`), on PORT. Usage: canned.ts express|raw BODY_FILE
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';

const [kind, file] = process.argv.slice(2);
const body = readFileSync(file!);
const port = Number(process.env.PORT);
if (kind === 'express') {
  const app = express();
  app.get('/v1/webhooks', (_req, res) => {
    res.type('application/json').send(body);
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.listen(port, '127.0.0.1');
} else {
  createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  }).listen(port, '127.0.0.1');
}
