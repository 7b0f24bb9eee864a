import { describe, expect, it } from 'vitest';
import { Network } from '../../src/sim/network.ts';

describe('Network', () => {
  it('delivers by arrival time, and never earlier than the previous message on the same link (FIFO per connection)', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'a1', 30);
    const a2 = net.send('a', 'b', 'a2', 10)!;
    net.send('c', 'b', 'c1', 20);
    expect(a2.deliverAt).toBe(30);
    expect(net.next()?.message).toBe('c1');
    net.take(net.next()!.id);
    expect(net.next()?.message).toBe('a1');
    expect(net.stats.reordered).toBe(0);
  });

  it('counts delivering a message ahead of an older one on its link as a reorder', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'a1', 5);
    const second = net.send('a', 'b', 'a2', 5)!;
    net.take(second.id);
    expect(net.stats.reordered).toBe(1);
    expect(net.pending().map((e) => e.message)).toEqual(['a1']);
  });

  it('a delayed message arrives after its successors on the link', () => {
    const net = new Network<string>();
    const first = net.send('a', 'b', 'first', 5)!;
    net.send('a', 'b', 'second', 6);
    net.delay(first.id, 1000);
    expect(net.next()?.message).toBe('second');
    expect(net.stats.delayed).toBe(1);
  });

  it('drops and duplicates chosen envelopes', () => {
    const net = new Network<string>();
    const m = net.send('a', 'b', 'm', 5)!;
    const copy = net.duplicate(m.id, 200);
    expect(copy.id).not.toBe(m.id);
    expect(copy.deliverAt).toBe(205);
    net.drop(m.id);
    expect(net.pending().map((e) => [e.id, e.message])).toEqual([[copy.id, 'm']]);
    expect(net.stats).toMatchObject({ dropped: 1, duplicated: 1 });
  });

  it('a partition loses what is in flight on the cut links and what is sent over them, until healed', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'lost', 1);
    net.send('c', 'b', 'kept', 1);
    net.isolate('a', ['a', 'b', 'c']);
    expect(net.pending().map((e) => e.message)).toEqual(['kept']);
    expect(net.send('b', 'a', 'also lost', 1)).toBeUndefined();
    expect(net.isCut('b', 'a')).toBe(true);
    net.heal();
    expect(net.send('b', 'a', 'through', 1)).toBeDefined();
    expect(net.stats.lostToPartition).toBe(2);
  });

  it('a crashed node loses the messages to and from it (its connections are reset)', () => {
    const net = new Network<string>();
    net.send('a', 'b', 'to b', 1);
    net.send('b', 'a', 'from b', 1);
    net.send('a', 'c', 'elsewhere', 1);
    expect(net.loseConnectionsOf('b')).toBe(2);
    expect(net.pending().map((e) => e.message)).toEqual(['elsewhere']);
  });

  it('a partial partition cuts only the link between two nodes, both ways', () => {
    const net = new Network<string>();
    net.send('leader', 'controller', 'lost', 1);
    net.send('leader', 'follower', 'kept', 1);
    net.partition('controller', 'leader');
    expect(net.pending().map((e) => e.message)).toEqual(['kept']);
    expect(net.send('controller', 'leader', 'also lost', 1)).toBeUndefined();
    expect(net.send('follower', 'leader', 'through', 1)).toBeDefined();
    expect(net.send('controller', 'follower', 'through too', 1)).toBeDefined();
    net.heal();
    expect(net.send('controller', 'leader', 'healed', 1)).toBeDefined();
  });

  it('a slow link delays one direction only, keeps its order, and heals', () => {
    const net = new Network<string>();
    net.slow('controller', 'b', 1000);
    const first = net.send('controller', 'b', 'first', 10)!;
    const second = net.send('controller', 'b', 'second', 5)!;
    const back = net.send('b', 'controller', 'back', 10)!;
    expect([first.deliverAt, second.deliverAt, back.deliverAt]).toEqual([1010, 1010, 10]);
    expect(net.slowLinkList()).toEqual(['controller>b']);
    net.heal();
    // FIFO: after healing, a message on the link still cannot overtake the slow ones.
    expect(net.send('controller', 'b', 'third', 20)!.deliverAt).toBe(1010);
    expect(net.send('controller', 'c', 'fast', 20)!.deliverAt).toBe(20);
  });
});
