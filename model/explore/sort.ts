/**
 * In-place insertion sort for the explorer's small arrays (timers, links, a record's keys:
 * a handful of elements each). `Array.prototype.sort` allocates a work array per call, and
 * at several sorts per transition that was a sixth of the explorer's allocation.
 * Stable, like `Array.prototype.sort`; without `compare` it orders strings by UTF-16 code
 * units, as the default sort does for strings.
 */
export function sortSmall<T>(array: T[], compare?: (a: T, b: T) => number): T[] {
  for (let i = 1; i < array.length; i++) {
    const x = array[i] as T;
    let j = i - 1;
    while (j >= 0 && (compare === undefined ? (array[j] as T) > x : compare(array[j] as T, x) > 0)) {
      array[j + 1] = array[j] as T;
      j--;
    }
    array[j + 1] = x;
  }
  return array;
}
