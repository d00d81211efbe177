// The baselines of list-vs-bare: the same response bytes from bare Express (`express`) or from
// node:http alone (`raw`), on PORT: the list's for /v1/webhooks, the webhook's for /v1/webhooks/{id}.
// Usage: canned.ts express|raw LIST_BODY_FILE GET_BODY_FILE
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';

const [kind, listFile, getFile] = process.argv.slice(2);
const list = readFileSync(listFile!);
const one = getFile ? readFileSync(getFile) : list;
const port = Number(process.env.PORT);
if (kind === 'express') {
  const app = express();
  app.get('/v1/webhooks', (_req, res) => {
    res.type('application/json').send(list);
  });
  app.get('/v1/webhooks/:id', (_req, res) => {
    res.type('application/json').send(one);
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.listen(port, '127.0.0.1');
} else {
  createServer((req, res) => {
    const body = req.url?.startsWith('/v1/webhooks/') ? one : list;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  }).listen(port, '127.0.0.1');
}
