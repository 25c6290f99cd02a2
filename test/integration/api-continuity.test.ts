import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createApi,
  type ApiBackend,
  type ChannelFallbackDto,
  type FallbackJobDto,
  type StatusDto,
} from '../../src/api/index.js';
import type { ChannelAction, FallbackInfo, FallbackJob } from '../../src/contract/index.js';
import {
  ControlPlane,
  type LiveChannelStatus,
  type FallbackUploads,
  type LiveView,
} from '../../src/control/control-plane.js';
import { FallbackError, type FallbackErrorCode } from '../../src/fallback/errors.js';
import type { RenditionParams } from '../../src/fallback/params.js';
import { silentLogger } from '../../src/shared/logger.js';
import { openStore, type Store } from '../../src/store/index.js';

const liveParams: RenditionParams = {
  codec: 'h264',
  width: 1920,
  height: 1080,
  fps: 60,
  profile: 'main',
  sampleRate: 44100,
  channels: 2,
};

/** An engine the test steers: each channel's status, and what a manual action answers. */
class FakeLive implements LiveView {
  readonly actions: string[] = [];
  readonly statuses = new Map<string, LiveChannelStatus>();
  /** Why the next action cannot apply, or undefined to apply it. */
  refuse: string | undefined;

  channelStatus(channelId: string): LiveChannelStatus | undefined {
    return this.statuses.get(channelId);
  }

  destinationsChanged(): void {
    // not used here
  }

  channelKeysChanged(): void {
    // not used here
  }

  channelAction(channelId: string, action: ChannelAction): string | undefined {
    this.actions.push(`${channelId}:${action}`);
    if (this.refuse !== undefined) return this.refuse;
    const status = this.statuses.get(channelId);
    if (status) {
      const mode = action === 'end' ? 'off' : action;
      this.statuses.set(channelId, { ...status, mode, reason: 'manual', since: new Date().toISOString() });
    }
    return undefined;
  }

  fallbackParams(channelId: string): RenditionParams {
    return { ...liveParams, width: channelId === 'main' ? 1920 : 1280 };
  }
}

/** What the fake library saw of one accepted upload, read at the moment it was handed over. */
interface AcceptCall {
  channelId: string;
  tmpFile: string;
  originalName: string;
  params: RenditionParams;
  content: Buffer;
}

/** A fallback library without ffmpeg: records uploads, answers with canned jobs or a FallbackError. */
class FakeFallback implements FallbackUploads {
  readonly accepted: AcceptCall[] = [];
  readonly removed: string[] = [];
  readonly jobList: FallbackJob[] = [];
  infoOf: FallbackInfo = { renditions: [] };
  /** Refuse the next upload with this code (the real library would also delete the file itself). */
  refuseWith: FallbackErrorCode | undefined;

  constructor(
    readonly incomingDir: string,
    readonly maxUploadBytes: number,
  ) {}

  incomingPath(): string {
    return join(this.incomingDir, randomUUID());
  }

  accept(
    channelId: string,
    tmpFile: string,
    originalName: string,
    params: RenditionParams,
  ): Promise<FallbackJob> {
    if (this.refuseWith !== undefined) {
      return Promise.reject(new FallbackError(this.refuseWith, `refused: ${this.refuseWith}`));
    }
    this.accepted.push({ channelId, tmpFile, originalName, params, content: readFileSync(tmpFile) });
    // The file is the library's now (the real one renames it into the channel's directory).
    rmSync(tmpFile);
    const job: FallbackJob = {
      id: `job-${this.jobList.length + 1}`,
      channelId,
      key: 'h264-main-1920x1080-60fps-44100hz-2ch',
      kind: 'upload',
      state: 'queued',
      percent: 0,
      startedAt: new Date().toISOString(),
    };
    this.jobList.push(job);
    return Promise.resolve({ ...job, kind: 'upload' } as FallbackJob);
  }

  jobs(channelId?: string): FallbackJob[] {
    return this.jobList.filter((job) => channelId === undefined || job.channelId === channelId);
  }

  job(id: string): FallbackJob | undefined {
    return this.jobList.find((job) => job.id === id);
  }

  info(): FallbackInfo {
    return this.infoOf;
  }

  remove(channelId: string): void {
    this.removed.push(channelId);
  }

  originalFile(): undefined {
    return undefined;
  }
}

let dir: string;
let store: Store;
let live: FakeLive;
let library: FakeFallback;
let app: FastifyInstance;
let clock: number;
let auth: string;
const maxUploadBytes = 4096;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'restream-api-continuity-'));
  store = openStore(dir);
  store.channels.create({ id: 'second', name: 'Second' });
  live = new FakeLive();
  // The incoming directory does not exist yet: the upload route makes it.
  library = new FakeFallback(join(dir, 'fallback', 'incoming'), maxUploadBytes);
  clock = Date.parse('2025-06-01T12:00:00.000Z');
  const backend: ApiBackend = new ControlPlane({
    store,
    live,
    rtmpPort: 1935,
    logger: silentLogger,
    fallback: library,
    now: () => clock,
  });
  app = createApi({ backend, logger: silentLogger });
  auth = store.auth.createToken('test').token;
});

afterEach(async () => {
  await app.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Files left in the incoming directory (temp uploads nobody took). */
function incomingFiles(): string[] {
  return existsSync(library.incomingDir) ? readdirSync(library.incomingDir) : [];
}

async function listen(): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://127.0.0.1:${port}`;
}

function bytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7) & 0xff;
  return out;
}

/** POSTs a multipart form built from `[name, value]` pairs (a Uint8Array value is a file part). */
async function upload(
  base: string,
  parts: [string, string | { data: Uint8Array; name: string }][],
  options: { query?: string; credentials?: boolean } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const form = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([value.data]), value.name);
  }
  const response = await fetch(`${base}/api/upload_fallback${options.query ?? ''}`, {
    method: 'POST',
    body: form,
    headers: options.credentials === false ? {} : { authorization: `Bearer ${auth}` },
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

describe('manual actions', () => {
  const status: LiveChannelStatus = {
    onAir: true,
    source: 'live',
    mode: 'live',
    reason: 'publisher-started',
    since: '2025-06-01T11:00:00.000Z',
    fallbackEndsAt: null,
    fallbackKind: null,
    input: null,
    outputs: [],
  };

  async function act(channel: string, body: unknown): Promise<{ statusCode: number; json: unknown }> {
    const response = await app.inject({
      method: 'POST',
      url: `/api/channels/${channel}/actions`,
      headers: { authorization: `Bearer ${auth}` },
      payload: body as Record<string, unknown>,
    });
    return { statusCode: response.statusCode, json: response.json() };
  }

  it('applies an action and answers the mode after it', async () => {
    live.statuses.set('main', status);
    expect(await act('main', { action: 'fallback' })).toEqual({
      statusCode: 200,
      json: { ok: true, mode: 'fallback', reason: 'manual' },
    });
    expect(await act('main', { action: 'live' })).toEqual({
      statusCode: 200,
      json: { ok: true, mode: 'live', reason: 'manual' },
    });
    expect(await act('main', { action: 'end' })).toEqual({
      statusCode: 200,
      json: { ok: true, mode: 'off', reason: 'manual' },
    });
    expect(live.actions).toEqual(['main:fallback', 'main:live', 'main:end']);
  });

  it('answers 409 with the reason when the action cannot apply now', async () => {
    live.refuse = 'no live input to return to';
    expect(await act('main', { action: 'live' })).toEqual({
      statusCode: 409,
      json: { error: 'CONFLICT', message: 'no live input to return to', field: 'action' },
    });
  });

  it('answers 404 for an unknown channel without asking the engine', async () => {
    expect(await act('nope', { action: 'fallback' })).toMatchObject({
      statusCode: 404,
      json: { error: 'NOT_FOUND', field: 'id' },
    });
    expect(live.actions).toEqual([]);
  });

  it('answers 400 naming the field for a bad body', async () => {
    const bad: unknown[] = [{ action: 'pause' }, { action: 1 }, {}, { action: 'end', force: true }];
    const fields = ['action', 'action', 'action', 'force'];
    for (const [i, body] of bad.entries()) {
      const answer = await act('main', body);
      expect(answer.statusCode, JSON.stringify(body)).toBe(400);
      expect(answer.json).toMatchObject({ error: 'VALIDATION', field: fields[i] });
    }
    expect((await act('main', { action: 'pause' })).json).toMatchObject({
      message: "action must be 'fallback', 'live' or 'end'",
    });
    expect(live.actions).toEqual([]);
  });
});

describe('fallback upload', () => {
  it('streams the file to a random incoming path and answers 202 with the job', async () => {
    const base = await listen();
    const data = bytes(3000);
    const answer = await upload(base, [
      ['channelId', 'main'],
      ['file', { data, name: '../../etc/..\\my clip.mp4' }],
    ]);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      job: {
        id: 'job-1',
        channelId: 'main',
        key: 'h264-main-1920x1080-60fps-44100hz-2ch',
        state: 'queued',
        percent: 0,
        error: null,
        startedAt: expect.any(String) as unknown,
        finishedAt: null,
      },
    });
    expect(answer.headers.get('location')).toBe('/api/fallback/jobs/job-1');
    expect(library.accepted).toHaveLength(1);
    const call = library.accepted[0]!;
    expect(call.channelId).toBe('main');
    expect(call.tmpFile.startsWith(library.incomingDir + sep)).toBe(true);
    expect(call.tmpFile).not.toContain('clip');
    expect(call.tmpFile).not.toContain('..');
    // The name is for display only: its last segment, as sent.
    expect(call.originalName).toBe('my clip.mp4');
    expect(call.params).toEqual(liveParams);
    expect(Buffer.compare(call.content, Buffer.from(data))).toBe(0);
  });

  it('takes the channel from the query, or from a field after the file, defaulting to main', async () => {
    const base = await listen();
    const file = { data: bytes(100), name: 'a.mp4' };
    expect((await upload(base, [['file', file]], { query: '?channelId=second' })).status).toBe(202);
    expect(
      (
        await upload(base, [
          ['file', file],
          ['channelId', 'second'],
        ])
      ).status,
    ).toBe(202);
    expect((await upload(base, [['file', file]])).status).toBe(202);
    expect(library.accepted.map((c) => [c.channelId, c.params.width])).toEqual([
      ['second', 1280],
      ['second', 1280],
      ['main', 1920],
    ]);
    const mismatch = await upload(
      base,
      [
        ['channelId', 'main'],
        ['file', file],
      ],
      { query: '?channelId=second' },
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ error: 'VALIDATION', field: 'channelId' });
    expect(incomingFiles()).toEqual([]);
  });

  it('answers 404 naming channelId for an unknown channel, before writing the file when it comes first', async () => {
    const base = await listen();
    const file = { data: bytes(100), name: 'a.mp4' };
    const expectNotFound = (answer: { status: number; body: unknown }): void => {
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: 'NOT_FOUND', field: 'channelId' });
    };
    expectNotFound(
      await upload(base, [
        ['channelId', 'nope'],
        ['file', file],
      ]),
    );
    expectNotFound(await upload(base, [['file', file]], { query: '?channelId=nope' }));
    expect(existsSync(library.incomingDir)).toBe(false);
    // Named after the file: known only once the file is on disk, which is then deleted.
    expectNotFound(
      await upload(base, [
        ['file', file],
        ['channelId', 'nope'],
      ]),
    );
    expect(incomingFiles()).toEqual([]);
    expect(library.accepted).toEqual([]);
  });

  it('answers 422 naming the file when the library refuses it, and deletes the temp file', async () => {
    const base = await listen();
    for (const code of ['NOT_MEDIA', 'NO_VIDEO', 'TRUNCATED'] as const) {
      library.refuseWith = code;
      const answer = await upload(base, [['file', { data: bytes(500), name: 'notes.txt' }]]);
      expect(answer.status).toBe(422);
      expect(answer.body).toEqual({ error: code, message: `refused: ${code}`, field: 'file' });
      expect(incomingFiles()).toEqual([]);
    }
  });

  it('answers 413 for a file over the cap, read to the end and then deleted', async () => {
    const base = await listen();
    // Declared length within the framing allowance: the file is streamed and cut at the cap.
    const answer = await upload(base, [['file', { data: bytes(maxUploadBytes + 1), name: 'big.mp4' }]]);
    expect(answer.status).toBe(413);
    // The cap in units people read (4096 bytes is 4 KiB), not a byte count.
    expect(answer.body).toMatchObject({ error: 'TOO_LARGE', field: 'file' });
    expect((answer.body as { message: string }).message).toContain('upload limit of 4 KiB');
    expect(library.accepted).toEqual([]);
    expect(incomingFiles()).toEqual([]);
    // Exactly the cap is fine.
    expect((await upload(base, [['file', { data: bytes(maxUploadBytes), name: 'ok.mp4' }]])).status).toBe(
      202,
    );
  });

  it('answers 413 at once when the declared length is far over the cap', async () => {
    const base = await listen();
    const answer = await upload(base, [['file', { data: bytes(256 * 1024), name: 'huge.mp4' }]]);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: 'TOO_LARGE', field: 'file' });
    // Refused on its Content-Length: not a byte was written.
    expect(existsSync(library.incomingDir)).toBe(false);
  });

  it('deletes what it received of an upload the client abandons', async () => {
    const base = await listen();
    const boundary = 'testboundary1234';
    const head = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="cut.mp4"',
      'Content-Type: application/octet-stream',
      '',
      '',
    ].join('\r\n');
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      [
        'POST /api/upload_fallback HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${auth}`,
        `Content-Type: multipart/form-data; boundary=${boundary}`,
        'Content-Length: 3000',
        '',
        head,
      ].join('\r\n'),
    );
    socket.write(Buffer.from(bytes(1000)));
    // Wait until the partial file is on disk, then hang up.
    await expect.poll(() => incomingFiles().length).toBe(1);
    socket.destroy();
    await expect.poll(() => incomingFiles()).toEqual([]);
    expect(library.accepted).toEqual([]);
  });

  it('answers 400 naming the field for a missing file, an unknown field, or a body that is not a form', async () => {
    const base = await listen();
    const noFile = await upload(base, [['channelId', 'main']]);
    expect(noFile.status).toBe(400);
    expect(noFile.body).toMatchObject({ error: 'VALIDATION', field: 'file' });
    const empty = await upload(base, []);
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: 'VALIDATION', field: 'file' });
    const unknown = await upload(base, [
      ['title', 'x'],
      ['file', { data: bytes(10), name: 'a.mp4' }],
    ]);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'VALIDATION', field: 'title' });
    const textFile = await upload(base, [['file', 'not a file part']]);
    expect(textFile.status).toBe(400);
    expect(textFile.body).toMatchObject({ error: 'VALIDATION', field: 'file' });
    const wrongPart = await upload(base, [['video', { data: bytes(10), name: 'a.mp4' }]]);
    expect(wrongPart.status).toBe(400);
    expect(wrongPart.body).toMatchObject({ error: 'VALIDATION', field: 'video' });
    const twoFiles = await upload(base, [
      ['file', { data: bytes(10), name: 'a.mp4' }],
      ['file', { data: bytes(10), name: 'b.mp4' }],
    ]);
    expect(twoFiles.status).toBe(400);
    expect(twoFiles.body).toMatchObject({ error: 'VALIDATION', field: 'file' });
    const json = await app.inject({
      method: 'POST',
      url: '/api/upload_fallback',
      headers: { authorization: `Bearer ${auth}` },
      payload: { file: 'abc' },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({ error: 'VALIDATION', field: 'file' });
    expect(library.accepted).toEqual([]);
    expect(incomingFiles()).toEqual([]);
  });

  it('keeps the 64 KiB JSON limit everywhere, the upload route included, and multipart only there', async () => {
    const big = { name: 'x'.repeat(70 * 1024), url: 'rtmp://a.example/app', streamKey: 'k' };
    for (const url of ['/api/platforms', '/api/upload_fallback']) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${auth}` },
        payload: big,
      });
      expect(response.statusCode, url).toBe(413);
    }
    const base = await listen();
    const form = new FormData();
    form.append('name', 'Twitch');
    const elsewhere = await fetch(`${base}/api/platforms`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${auth}` },
    });
    expect(elsewhere.status).toBe(415);
  });
});

describe('fallback jobs and library', () => {
  function job(fields: Partial<FallbackJob> & { id: string }): FallbackJob {
    return {
      channelId: 'main',
      key: 'h264-high-1280x720-30fps-48000hz-2ch',
      kind: 'upload',
      state: 'done',
      percent: 100,
      startedAt: '2025-06-01T11:00:00.000Z',
      ...fields,
    };
  }

  it('shows one job, 404 naming id for an unknown one', async () => {
    library.jobList.push(
      job({ id: 'j1', state: 'failed', percent: 40, error: 'ffmpeg exited 1', finishedAt: 'x' }),
    );
    const response = await app.inject({
      method: 'GET',
      url: '/api/fallback/jobs/j1',
      headers: { authorization: `Bearer ${auth}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<FallbackJobDto>()).toEqual({
      id: 'j1',
      channelId: 'main',
      key: 'h264-high-1280x720-30fps-48000hz-2ch',
      state: 'failed',
      percent: 40,
      error: 'ffmpeg exited 1',
      startedAt: '2025-06-01T11:00:00.000Z',
      finishedAt: 'x',
    });
    const unknown = await app.inject({
      method: 'GET',
      url: '/api/fallback/jobs/nope',
      headers: { authorization: `Bearer ${auth}` },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'NOT_FOUND', field: 'id' });
  });

  it("shows a channel's upload, renditions and jobs, and removes the upload", async () => {
    const headers = { authorization: `Bearer ${auth}` };
    const get = async (id: string): Promise<{ statusCode: number; body: unknown }> => {
      const response = await app.inject({ method: 'GET', url: `/api/channels/${id}/fallback`, headers });
      return { statusCode: response.statusCode, body: response.json() };
    };
    expect(await get('main')).toEqual({
      statusCode: 200,
      body: { info: { original: null, renditions: [] }, jobs: [] },
    });
    library.infoOf = {
      original: { name: 'brb.mp4', sizeBytes: 1234, uploadedAt: '2025-06-01T11:00:00.000Z' },
      renditions: [{ key: 'h264-high-1280x720-30fps-48000hz-2ch', sizeBytes: 999 }],
    };
    library.jobList.push(
      job({ id: 'j1', finishedAt: '2025-06-01T11:01:00.000Z' }),
      job({ id: 'j2', channelId: 'second' }),
    );
    const shown = await get('main');
    expect(shown.body).toEqual({
      info: library.infoOf,
      jobs: [expect.objectContaining({ id: 'j1', state: 'done' })],
    } satisfies Record<keyof ChannelFallbackDto, unknown>);
    expect((await get('nope')).statusCode).toBe(404);

    const removed = await app.inject({ method: 'DELETE', url: '/api/channels/main/fallback', headers });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ ok: true });
    expect(library.removed).toEqual(['main']);
    const unknown = await app.inject({ method: 'DELETE', url: '/api/channels/nope/fallback', headers });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'NOT_FOUND', field: 'id' });
    expect(library.removed).toEqual(['main']);
  });

  it('puts continuity state and job progress in /api/status', async () => {
    live.statuses.set('main', {
      onAir: true,
      source: 'fallback',
      mode: 'fallback',
      reason: 'publisher-dropped',
      since: '2025-06-01T11:59:00.000Z',
      fallbackEndsAt: '2025-06-01T12:09:00.000Z',
      fallbackKind: 'slate',
      input: null,
      outputs: [],
    });
    const minute = 60_000;
    const ago = (ms: number): string => new Date(clock - ms).toISOString();
    library.jobList.push(
      job({ id: 'old', finishedAt: ago(11 * minute) }),
      job({ id: 'recent', state: 'failed', error: 'ffmpeg exited 1', finishedAt: ago(5 * minute) }),
      job({ id: 'running', state: 'running', percent: 42.5 }),
      job({ id: 'queued', state: 'queued', percent: 0, channelId: 'second' }),
      job({ id: 'slate', state: 'running', channelId: '' }),
    );
    const response = await app.inject({
      method: 'GET',
      url: '/api/status',
      headers: { authorization: `Bearer ${auth}` },
    });
    const status = response.json<StatusDto>();
    expect(status.channels.map((c) => c.id)).toEqual(['main', 'second']);
    const [main, second] = status.channels;
    expect(main).toMatchObject({
      onAir: true,
      source: 'fallback',
      mode: 'fallback',
      reason: 'publisher-dropped',
      since: '2025-06-01T11:59:00.000Z',
      fallbackEndsAt: '2025-06-01T12:09:00.000Z',
      fallbackKind: 'slate',
    });
    expect(main?.fallbackJobs.map((j) => [j.id, j.state, j.percent])).toEqual([
      ['recent', 'failed', 100],
      ['running', 'running', 42.5],
    ]);
    expect(main?.fallbackJobs[0]?.error).toBe('ffmpeg exited 1');
    // A channel the engine reports nothing for is off air.
    expect(second).toMatchObject({
      onAir: false,
      source: null,
      mode: 'off',
      reason: null,
      since: null,
      fallbackEndsAt: null,
      fallbackKind: null,
      fallbackJobs: [expect.objectContaining({ id: 'queued', state: 'queued' })],
    });
  });
});

describe('authentication on the continuity routes', () => {
  it('answers 401 on every new route without credentials or with a bad token', async () => {
    library.jobList.push({
      id: 'j1',
      channelId: 'main',
      key: 'k',
      kind: 'upload',
      state: 'queued',
      percent: 0,
      startedAt: 'x',
    });
    const routes: ['GET' | 'POST' | 'DELETE', string][] = [
      ['POST', '/api/channels/main/actions'],
      ['POST', '/api/upload_fallback'],
      ['GET', '/api/fallback/jobs/j1'],
      ['GET', '/api/channels/main/fallback'],
      ['DELETE', '/api/channels/main/fallback'],
    ];
    for (const [method, url] of routes) {
      for (const headers of [
        {},
        { authorization: 'Bearer rst_forged' },
        { cookie: 'restream_session=forged' },
      ]) {
        const response = await app.inject({ method, url, headers });
        expect(response.statusCode, `${method} ${url}`).toBe(401);
        expect(response.json()).toMatchObject({ error: 'UNAUTHORIZED' });
      }
    }
    // A real multipart upload without credentials is refused before anything is written.
    const base = await listen();
    const answer = await upload(base, [['file', { data: bytes(100), name: 'a.mp4' }]], {
      credentials: false,
    });
    expect(answer.status).toBe(401);
    expect(library.accepted).toEqual([]);
    expect(live.actions).toEqual([]);
    expect(library.removed).toEqual([]);
    expect(incomingFiles()).toEqual([]);
  });
});
