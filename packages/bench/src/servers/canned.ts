// The baselines of list-vs-bare and create: the same response bytes from bare Express (`express`) or
// from node:http alone (`raw`), on PORT: the list's for GET /v1/webhooks, the webhook's for
// GET /v1/webhooks/{id}, and (Express only) a created webhook's for POST /v1/webhooks (its JSON body
// parsed, as any Express API would) and 204 for DELETE /v1/webhooks/{id}.
// Usage: canned.ts express|raw LIST_BODY_FILE [GET_BODY_FILE [CREATED_BODY_FILE]]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';

const [kind, listFile, getFile, createdFile] = process.argv.slice(2);
const list = readFileSync(listFile!);
const one = getFile ? readFileSync(getFile) : list;
const created = createdFile ? readFileSync(createdFile) : one;
const port = Number(process.env.PORT);
if (kind === 'express') {
  const app = express();
  app.get('/v1/webhooks', (_req, res) => {
    res.type('application/json').send(list);
  });
  app.get('/v1/webhooks/:id', (_req, res) => {
    res.type('application/json').send(one);
  });
  app.post('/v1/webhooks', express.json(), (_req, res) => {
    res.status(201).type('application/json').send(created);
  });
  app.delete('/v1/webhooks/:id', (_req, res) => {
    res.status(204).end();
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
