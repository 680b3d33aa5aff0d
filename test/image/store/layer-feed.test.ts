import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FEED_HIGH_WATER, FeedDiscontinuity, LayerFeed } from '../../../src/image/store/layer-feed.js';

async function readAll(feed: LayerFeed, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of feed.chunks(signal)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('layer feed (a download handing its bytes to the unpack)', () => {
  it('delivers a gapless stream in order and ends when the download completes', async () => {
    const feed = new LayerFeed();
    const reading = readAll(feed);
    await feed.write(Buffer.from('abc'), 0);
    await feed.write(Buffer.from('defg'), 3);
    feed.complete(7);
    assert.equal((await reading).toString(), 'abcdefg');
  });

  it('holds the writer once more than the high-water mark waits, until the reader takes it', async () => {
    const feed = new LayerFeed();
    const big = Buffer.alloc(FEED_HIGH_WATER + 1);
    let released = false;
    const writing = feed.write(big, 0).then(() => {
      released = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(released, false);
    const iterator = feed.chunks()[Symbol.asyncIterator]();
    const first: IteratorResult<Buffer> = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.value.length, big.length);
    await writing;
    assert.equal(released, true);
    await iterator.return?.(undefined);
  });

  it('fails the reader with FeedDiscontinuity when the download starts over or resumes past what it saw', async () => {
    const restarted = new LayerFeed();
    const reading = readAll(restarted);
    await restarted.write(Buffer.from('abc'), 0);
    await restarted.write(Buffer.from('abc'), 0);
    await assert.rejects(reading, FeedDiscontinuity);

    const resumed = new LayerFeed();
    const resumedReading = readAll(resumed);
    await resumed.write(Buffer.from('xyz'), 100);
    await assert.rejects(resumedReading, FeedDiscontinuity);

    const short = new LayerFeed();
    const shortReading = readAll(short);
    await short.write(Buffer.from('ab'), 0);
    short.complete(10);
    await assert.rejects(shortReading, /2 of 10 bytes/);
  });

  it('passes the download error to the reader, and an abort of the reader releases the writer', async () => {
    const failed = new LayerFeed();
    const reading = readAll(failed);
    failed.fail(new Error('connection reset'));
    await assert.rejects(reading, /connection reset/);

    const aborted = new LayerFeed();
    const controller = new AbortController();
    const abortedReading = readAll(aborted, controller.signal);
    const writing = aborted.write(Buffer.alloc(FEED_HIGH_WATER * 2), 0);
    controller.abort(new Error('the unpack gave up'));
    await assert.rejects(abortedReading, /the unpack gave up/);
    await writing;
    // Nobody reads any more: later writes do not wait.
    await aborted.write(Buffer.alloc(FEED_HIGH_WATER * 2), FEED_HIGH_WATER * 2);
  });

  it('never holds the writer once detached (the layer tree was already there)', async () => {
    const feed = new LayerFeed();
    feed.detach();
    await feed.write(Buffer.alloc(FEED_HIGH_WATER * 4), 0);
    await feed.write(Buffer.alloc(FEED_HIGH_WATER * 4), FEED_HIGH_WATER * 4);
  });
});
