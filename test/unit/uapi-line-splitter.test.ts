import assert from 'node:assert/strict';
import { LineSplitter, OVERLONG } from '../../src/uapi/line-splitter.js';

function split(splitter: LineSplitter, ...chunks: string[]): (string | typeof OVERLONG)[] {
  return chunks.flatMap((chunk) => [...splitter.push(Buffer.from(chunk))]);
}

describe('uapi/line-splitter', () => {
  it('yields the same lines wherever the chunks are cut', () => {
    const text = 'get=1\n\nset=1\nlisten_port=1\nallowed_ip=fd00::/8\n\n';
    const expected = ['get=1', '', 'set=1', 'listen_port=1', 'allowed_ip=fd00::/8', ''];
    for (let cut = 0; cut <= text.length; cut++) {
      for (let cut2 = cut; cut2 <= text.length; cut2 += 3) {
        assert.deepEqual(split(new LineSplitter(), text.slice(0, cut), text.slice(cut, cut2), text.slice(cut2)), expected);
      }
    }
  });

  it('reports an overlong line once and resynchronises at its newline', () => {
    const splitter = new LineSplitter(8);
    assert.deepEqual(split(splitter, 'ok\n12345', '6789', '0123\nnext\n'), ['ok', OVERLONG, 'next']);
    assert.deepEqual(split(splitter, '123456789\nafter\n'), [OVERLONG, 'after']);
    assert.equal(splitter.buffered, 0);
  });

  it('decodes UTF-8 split across chunks', () => {
    const bytes = Buffer.from('é=ü\n');
    const splitter = new LineSplitter();
    assert.deepEqual([...splitter.push(bytes.subarray(0, 1)), ...splitter.push(bytes.subarray(1))], ['é=ü']);
  });
});
