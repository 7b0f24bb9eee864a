import { describe, expect, it } from 'vitest';
import { Network } from '../../src/sim/network.ts';

describe('Network', () => {
  it('keeps envelopes in send order and offers one head per link (FIFO per connection)', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'a1');
    net.send('a', 'b', 'a2');
    net.send('c', 'b', 'c1');
    expect(net.heads().map((e) => e.message)).toEqual(['a1', 'c1']);
    expect(net.take(net.heads()[1]!.id).message).toBe('c1');
    expect(net.stats.reordered).toBe(0);
  });

  it('counts delivering a message ahead of an older one on its link as a reorder', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'a1');
    const second = net.send('a', 'b', 'a2')!;
    net.take(second.id);
    expect(net.stats.reordered).toBe(1);
    expect(net.pending().map((e) => e.message)).toEqual(['a1']);
  });

  it('drops and duplicates chosen envelopes', () => {
    const net = new Network<string>();
    const m = net.send('a', 'b', 'm')!;
    const copy = net.duplicate(m.id);
    expect(copy.id).not.toBe(m.id);
    net.drop(m.id);
    expect(net.pending().map((e) => [e.id, e.message])).toEqual([[copy.id, 'm']]);
    expect(net.stats).toMatchObject({ dropped: 1, duplicated: 1 });
  });

  it('a partition loses what is in flight on the cut links and what is sent over them, until healed', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'lost');
    net.send('c', 'b', 'kept');
    net.isolate('a', ['a', 'b', 'c']);
    expect(net.pending().map((e) => e.message)).toEqual(['kept']);
    expect(net.send('b', 'a', 'also lost')).toBeUndefined();
    expect(net.isCut('b', 'a')).toBe(true);
    net.heal();
    expect(net.send('b', 'a', 'through')).toBeDefined();
    expect(net.stats.lostToPartition).toBe(2);
  });

  it('a crashed node loses the messages addressed to it', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'to b');
    net.send('b', 'a', 'from b');
    expect(net.loseMessagesTo('b')).toBe(1);
    expect(net.pending().map((e) => e.message)).toEqual(['from b']);
  });
});
