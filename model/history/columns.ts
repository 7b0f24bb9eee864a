/**
 * Growable typed-array columns: the checker keeps one number per read, write, value and
 * operation instead of one object each, so a history of millions of operations fits in a
 * few hundred bytes per operation.
 */
type NumberArray = Int32Array | Float64Array | Uint8Array;

class Column<A extends NumberArray> {
  private data: A;
  length = 0;

  constructor(
    private readonly allocate: (length: number) => A,
    capacity: number,
  ) {
    this.data = allocate(capacity);
  }

  push(value: number): number {
    if (this.length === this.data.length) this.grow();
    this.data[this.length] = value;
    return this.length++;
  }

  get(i: number): number {
    return this.data[i] as number;
  }

  set(i: number, value: number): void {
    this.data[i] = value;
  }

  /** A view of the filled part (shares memory; valid until the next push). */
  view(): A {
    return this.data.subarray(0, this.length) as A;
  }

  private grow(): void {
    const next = this.allocate(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

export class Int32Column extends Column<Int32Array> {
  constructor(capacity = 1024) {
    super((n) => new Int32Array(n), capacity);
  }
}

export class Float64Column extends Column<Float64Array> {
  constructor(capacity = 1024) {
    super((n) => new Float64Array(n), capacity);
  }
}

export class Uint8Column extends Column<Uint8Array> {
  constructor(capacity = 1024) {
    super((n) => new Uint8Array(n), capacity);
  }
}
