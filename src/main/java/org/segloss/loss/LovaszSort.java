package org.segloss.loss;

import java.lang.ref.SoftReference;

/**
 * The sort and the walk of Alg. 1 of the Lovász losses (spec/losses/lovasz.md#formula), shared
 * by {@link LovaszSoftmaxLoss} and {@link LovaszHingeLoss}.
 *
 * <p><b>Items.</b> One voxel is one {@code long}: the high 32 bits hold its error as a {@link
 * LovaszSoftmaxLoss#errorKey} (unsigned ascending = error descending), the low 32 bits
 * {@code position << 1 | foreground}. Positions are distinct and below 2^31, so the unsigned
 * order of the whole long is "error descending, then position ascending": exactly the tie rule.
 * The order is total, so any correct sort gives the same permutation, stable or not.
 *
 * <p><b>Sort.</b> Most significant bits first, then each bucket in cache. When the keys vary in
 * at least 11 bits above bit 16 and a histogram of the 16-bit key prefixes was counted on the
 * way ({@link #prefixCounts}), the buckets are runs of neighbouring prefixes of up to about
 * {@link #MERGE_MAX} items ({@link Scatter}: fine where the errors crowd, coarse where they are
 * sparse). Otherwise the top digit is up to {@link #TOP_BITS} bits, the highest of the bits that
 * vary among the keys (the OR and AND of all keys, gathered while the items were built, tell
 * which: errors in [0, 1] never vary in the two top bits), counted by a pass over the items.
 * One stable pass scatters the items into the buckets; {@link LovaszSoftmaxLoss} does not even
 * build them in position order first: it reads its errors twice, once for the statistics, once
 * writing each item straight into its bucket. Then every
 * bucket, now small enough for the L1/L2 cache, is sorted on its own remaining varying bits (a
 * stable LSD radix sort whose digit width is chosen by the bucket's size, between the bucket and
 * the start of the scratch array, the same cache lines for every bucket; insertion sort for a few
 * items) and walked at once, while it is still in cache. Over memory that is one write of the
 * items (into their buckets) and one read of them.
 *
 * <p><b>Walk.</b> Over the sorted items, in order: {@code J_k = 1 - (G - F_k) / (G + N_k)},
 * {@code g_k = J_k - J_{k-1}}, {@code value += h(e_k) g_k} in double, and
 * {@code grad[position] = ∓ g_k h'(e_k)} (minus for foreground), the same expressions in the
 * same order as a walk over a fully sorted array, so the bits do not depend on how the sort
 * cut the work.
 *
 * <p><b>Scratch.</b> Two long arrays of n items per sorting thread, kept per thread (softly
 * reachable, so the collector may take them back) and reused by the next call on that thread: a
 * fresh full-size array per call costs its zeroing and cold pages. Their lifetime is one call of
 * {@link #lovasz}; nothing else touches them.
 */
final class LovaszSort {
    private LovaszSort() {}

    /** Width of the most significant digit: 2048 buckets, about 256 items each at n = 2^19. */
    static final int TOP_BITS = 11;
    /** Buckets of at most this many items are sorted by insertion. */
    static final int INSERTION_MAX = 32;
    /** Widest LSD digit inside a bucket. */
    static final int BUCKET_MAX_BITS = 11;
    /** Most LSD passes inside a bucket (32 key bits in digits of at least 4 bits). */
    static final int MAX_BUCKET_PASSES = 8;

    /** An item: {@code key} in the high word, {@code position << 1 | foreground} in the low word. */
    static long item(int key, int position, boolean foreground) {
        return (long) key << 32 | (long) position << 1 | (foreground ? 1L : 0L);
    }

    static int itemKey(long item) { return (int) (item >>> 32); }

    static int itemPosition(long item) { return (int) item >>> 1; }

    static boolean itemForeground(long item) { return (item & 1L) != 0; }

    /** The two item arrays of the calling thread, each of length >= n (grown when too short). */
    static long[][] scratch(int n) {
        SoftReference<long[][]> ref = SCRATCH.get();
        long[][] s = ref == null ? null : ref.get();
        if (s == null || s[0].length < n) {
            s = new long[][] {new long[n], new long[n]};
            SCRATCH.set(new SoftReference<>(s));
        }
        return s;
    }

    private static final ThreadLocal<SoftReference<long[][]>> SCRATCH = new ThreadLocal<>();

    /** Key bits counted while the items are built: the prefix {@code key >>> PREFIX_SHIFT}, 16 bits. */
    static final int PREFIX_SHIFT = 16;

    /**
     * The calling thread's prefix histogram, all zero: {@code 2^16} counts indexed by
     * {@code key >>> PREFIX_SHIFT}, filled by the caller while it builds the items (an L2-resident
     * increment per item instead of one more pass over the items to count the top digit).
     */
    static int[] prefixCounts() {
        int[] p = PREFIX.get();
        if (p == null) {
            p = new int[1 << (32 - PREFIX_SHIFT)];
            PREFIX.set(p);
        } else {
            java.util.Arrays.fill(p, 0);
        }
        return p;
    }

    private static final ThreadLocal<int[]> PREFIX = new ThreadLocal<>();

    /**
     * Sorts {@code items[0..n)} (built with {@link #item}, in increasing position) by unsigned
     * value, i.e. by decreasing error with ties by increasing position, and walks them (Alg. 1).
     * {@code keyOr} and {@code keyAnd} are the OR and the AND of all keys, or a wider pair (more
     * bits in keyOr, fewer in keyAnd: it still brackets every key), or 0 and -1 (every bit taken
     * as varying; always correct). {@code spare} is scratch of length
     * >= n. {@code foreground} is G. Returns {@code Σ_k h(e_k) g_k} (h the identity, or relu when
     * {@code relu}); writes {@code grad[position]} when grad is not null. Overwrites both arrays.
     */
    static double lovasz(long[] items, long[] spare, int n, int keyOr, int keyAnd, int foreground, boolean relu,
                         float[] grad) {
        return lovasz(items, spare, n, keyOr, keyAnd, null, foreground, relu, grad);
    }

    /**
     * As {@link #lovasz(long[], long[], int, int, int, int, boolean, float[])}, with {@code prefix}
     * (null, or a {@link #prefixCounts} array holding the count of every {@code key >>> PREFIX_SHIFT}
     * over the n items; overwritten): the items are then scattered into buckets of neighbouring
     * prefixes ({@link Scatter}) whenever the top digit would lie within those 16 bits.
     */
    static double lovasz(long[] items, long[] spare, int n, int keyOr, int keyAnd, int[] prefix, int foreground,
                         boolean relu, float[] grad) {
        Walk walk = new Walk(foreground, relu, grad, keyOr >= 0 && (keyAnd & ~keyOr) == 0);
        visitSorted(items, spare, n, TopDigit.of(n, keyOr, keyAnd), prefix, keyOr, keyAnd, walk);
        return walk.value;
    }

    /** The sorted items as a new array (for tests and {@link LovaszSoftmaxLoss#argsortDescending}); as {@link #lovasz}. */
    static long[] sort(long[] items, long[] spare, int n, int keyOr, int keyAnd) {
        return sort(items, spare, n, keyOr, keyAnd, null);
    }

    /** As {@link #sort(long[], long[], int, int, int)}, with a prefix histogram as in {@link #lovasz}. */
    static long[] sort(long[] items, long[] spare, int n, int keyOr, int keyAnd, int[] prefix) {
        long[] out = new long[n];
        visitSorted(items, spare, n, TopDigit.of(n, keyOr, keyAnd), prefix, keyOr, keyAnd,
                (sorted, from, to) -> System.arraycopy(sorted, from, out, from, to - from));
        return out;
    }

    /** Receives the sorted items piece by piece, in order: {@code sorted[from..to)} holds ranks from..to-1. */
    @FunctionalInterface
    interface Pieces {
        void accept(long[] sorted, int from, int to);
    }

    /**
     * The sort: hands the sorted order to {@code out} in consecutive pieces (one per top-digit
     * bucket). {@code prefix}: null, or the counts of {@code key >>> PREFIX_SHIFT} over the items;
     * {@code keyOr}, {@code keyAnd} as given to {@link TopDigit#of}.
     */
    static void visitSorted(long[] items, long[] spare, int n, TopDigit digit, int[] prefix, int keyOr, int keyAnd,
                            Pieces out) {
        if (digit.bits() == 0) {                                         // one bucket: sorted where it is
            visitBuckets(items, spare, new int[] {0, n}, digit, out);
            return;
        }
        Scatter plan = prefix != null ? Scatter.plan(n, keyOr, keyAnd, prefix) : null;
        if (plan != null) {                                              // buckets of neighbouring prefixes
            int[] cursor = plan.cursors();
            for (int m = 0; m < n; m++) {                               // stable: position order kept per bucket
                long v = items[m];
                spare[cursor[itemKey(v) >>> PREFIX_SHIFT]++] = v;
            }
            plan.visit(spare, items, out);
            return;
        }
        int shift = 32 + digit.keyShift(), mask = digit.buckets() - 1;
        int[] start = new int[digit.buckets() + 1];
        for (int m = 0; m < n; m++) start[((int) (items[m] >>> shift) & mask) + 1]++;
        int[] next = bucketStarts(start);
        for (int m = 0; m < n; m++) {                                   // stable: position order kept per bucket
            long v = items[m];
            spare[next[(int) (v >>> shift) & mask]++] = v;
        }
        visitBuckets(spare, items, start, digit, out);
    }

    /** Items per bucket up to which {@link Scatter} merges neighbouring key prefixes into one bucket. */
    static final int MERGE_MAX = 1024;
    /** Prefixes merged into one bucket differ only in their low MERGE_BITS bits (its sort spans at most 16 + 4 key bits). */
    static final int MERGE_BITS = 4;

    /**
     * The scatter planned before the items exist, from the key statistics of a first pass over
     * the errors (n, the OR and AND of the keys, the prefix counts): the caller then computes
     * each item again in a second pass, in increasing position, and writes it straight to
     * {@code bucketed[cursors()[key >>> PREFIX_SHIFT]++]}, so the items are never written in
     * position order and read back. The buckets are runs of neighbouring 16-bit key prefixes, as many as fit in
     * {@link #MERGE_MAX} items (a prefix with more items is a bucket of its own) and sharing all
     * but their low {@link #MERGE_BITS} prefix bits: finer than any fixed top digit where the
     * errors crowd (softmax errors fill a few binades; a fixed 11-bit digit left buckets of 4 K to
     * 50 K items there, beyond the L1 cache), coarse where they are sparse, so that every bucket
     * is sorted in L1 on at most 20 key bits. Null from {@link #plan} when the top digit of
     * {@link TopDigit#of} does not lie within the 16-bit prefix (a single bucket, or keys that
     * share their top 5+ varying bits, so a few prefixes would hold every item): build the
     * items in order and call {@link #lovasz}.
     */
    static final class Scatter {
        private final int[] cursor;             // per prefix that occurs: where its next item goes
        private final int[] start, span;        // bucket d: items [start[d], start[d + 1]), sorted on key bits [lo, lo + span[d])
        private final int lo;
        private final boolean nonNegative;      // every key has bit 31 clear: every error >= +0

        private Scatter(int[] cursor, int[] start, int[] span, int lo, boolean nonNegative) {
            this.nonNegative = nonNegative;
            this.cursor = cursor;
            this.start = start;
            this.span = span;
            this.lo = lo;
        }

        /**
         * The plan for n >= 1 keys, given their OR and AND (or a wider pair that still brackets
         * every key; any other pair gives null) and {@code prefix}, their {@link #prefixCounts};
         * overwrites {@code prefix} (it becomes the write cursor of each prefix: a bucket of
         * several prefixes receives them one after the other, each in position order, which its
         * stable sort on all its varying bits turns into the same order as any other layout).
         */
        static Scatter plan(int n, int keyOr, int keyAnd, int[] prefix) {
            return plan(n, keyOr, keyAnd, prefix, MERGE_MAX);
        }

        /** As {@link #plan(int, int, int, int[])}, merging prefixes up to {@code mergeMax} items per bucket. */
        static Scatter plan(int n, int keyOr, int keyAnd, int[] prefix, int mergeMax) {
            TopDigit digit = TopDigit.of(n, keyOr, keyAnd);
            if (digit.bits() == 0 || digit.keyShift() < PREFIX_SHIFT || (keyAnd & ~keyOr) != 0) return null;
            int varying = keyOr ^ keyAnd;
            int lo = Integer.numberOfTrailingZeros(varying), top = 32 - Integer.numberOfLeadingZeros(varying);
            int first = keyAnd >>> PREFIX_SHIFT, last = keyOr >>> PREFIX_SHIFT;   // every key lies in [AND, OR]
            int buckets = 0;
            for (int v = first, count = 0, group = -1; v <= last; v++) {
                int c = prefix[v];
                if (c == 0) continue;
                if (count == 0 || count + c > mergeMax || v >>> MERGE_BITS != group) {
                    buckets++;
                    count = 0;
                    group = v >>> MERGE_BITS;
                }
                count += c;
            }
            int[] start = new int[buckets + 1], span = new int[buckets];
            int d = -1, count = 0, group = -1, head = 0, offset = 0;
            for (int v = first; v <= last; v++) {
                int c = prefix[v];
                if (c == 0) continue;
                if (count == 0 || count + c > mergeMax || v >>> MERGE_BITS != group) {
                    d++;
                    start[d] = offset;
                    count = 0;
                    group = v >>> MERGE_BITS;
                    head = v;
                }
                count += c;
                offset += c;
                // prefixes head..v share their bits above the highest bit of head ^ v; the key bits from top up are constant
                int high = head == v ? PREFIX_SHIFT : PREFIX_SHIFT + 32 - Integer.numberOfLeadingZeros(head ^ v);
                span[d] = Math.min(high, top) - lo;
                prefix[v] = offset - c;
            }
            start[buckets] = offset;
            if (offset != n) {
                throw new IllegalStateException("LovaszSort.Scatter: prefix counts add up to " + offset + ", expected n = " + n);
            }
            return new Scatter(prefix, start, span, lo, keyOr >= 0);
        }

        /**
         * The write cursor of every key prefix: an item with key k goes to
         * {@code bucketed[cursors[k >>> PREFIX_SHIFT]++]} (stable: items in increasing position).
         * NOTE: an array for the hot loops to index, not a {@code slot(key)} method: C2 left that
         * call out of line in some JVMs, one call per item ("low call site frequency" in
         * -XX:+PrintInlining, judged from a profile that depends on when the loop's OSR and full
         * compiles happened; spec/performance.md).
         */
        int[] cursors() { return cursor; }

        /** The number of buckets. */
        int buckets() { return span.length; }

        /**
         * Sorts the scattered items ({@code bucketed}, every slot filled; {@code spare} scratch of
         * at least the largest bucket's length) and walks them as {@link #lovasz} does.
         */
        double lovasz(long[] bucketed, long[] spare, int foreground, boolean relu, float[] grad) {
            Walk walk = new Walk(foreground, relu, grad, nonNegative);
            visit(bucketed, spare, walk);
            return walk.value;
        }

        /** Sorts every bucket in cache (in place in {@code bucketed}) and hands it to {@code out}, in order. */
        void visit(long[] bucketed, long[] spare, Pieces out) {
            BucketSorter sorter = new BucketSorter();
            for (int d = 0; d < span.length; d++) {
                int from = start[d], to = start[d + 1];
                out.accept(sorter.sort(bucketed, spare, from, to, lo, span[d]), from, to);
            }
        }
    }

    /**
     * The most significant digit of the sort: key bits {@code [keyShift, keyShift + bits)}, the
     * top {@link #TOP_BITS} (or fewer) of the bits that vary among the keys; the varying bits
     * below it are {@code [restLo, restLo + restSpan)}. {@code bits} is 0 for a single bucket:
     * up to {@link #INSERTION_MAX} items, or keys all equal.
     */
    record TopDigit(int keyShift, int bits, int restLo, int restSpan) {
        static TopDigit of(int n, int keyOr, int keyAnd) {
            int varying = keyOr ^ keyAnd;
            if (varying == 0) return new TopDigit(0, 0, 0, 0);
            int hi = 31 - Integer.numberOfLeadingZeros(varying), lo = Integer.numberOfTrailingZeros(varying);
            if (n <= INSERTION_MAX) return new TopDigit(0, 0, lo, hi + 1 - lo);
            int bits = Math.min(TOP_BITS, hi + 1 - lo);
            return new TopDigit(hi + 1 - bits, bits, lo, hi + 1 - bits - lo);
        }

        int buckets() { return 1 << bits; }

        int bucket(int key) { return (key >>> keyShift) & ((1 << bits) - 1); }
    }

    /** Turns {@code count[d + 1]} (items in bucket d) into bucket starts in place; returns a copy to scatter with. */
    static int[] bucketStarts(int[] count) {
        for (int d = 1; d < count.length; d++) count[d] += count[d - 1];
        return java.util.Arrays.copyOf(count, count.length - 1);
    }

    /**
     * Sorts each bucket {@code bucketed[start[d]..start[d + 1])} on the bits below the top digit,
     * in cache ({@code spare[0..bucket size)} is scratch, reused by every bucket), and hands it to {@code out} at once.
     */
    static void visitBuckets(long[] bucketed, long[] spare, int[] start, TopDigit digit, Pieces out) {
        BucketSorter sorter = new BucketSorter();
        for (int d = 0; d + 1 < start.length; d++) {
            int from = start[d], to = start[d + 1];
            if (from == to) continue;
            out.accept(sorter.sort(bucketed, spare, from, to, digit.restLo(), digit.restSpan()), from, to);
        }
    }

    /** The stable sort of one bucket; keeps its histograms across buckets. */
    private static final class BucketSorter {
        private final int[][] count = new int[MAX_BUCKET_PASSES][1 << BUCKET_MAX_BITS];

        /**
         * Sorts {@code a[from..to)} stably on the key bits {@code [lo, lo + span)} (the only
         * ones that may differ inside the bucket), in place. {@code b[0..to - from)} is scratch:
         * the same few cache lines for every bucket, so the LSD passes between {@code a} and
         * {@code b} stay in cache (the scratch at the bucket's own offset would be cold memory to
         * fetch and write back, bucket after bucket). Returns {@code a}.
         */
        long[] sort(long[] a, long[] b, int from, int to, int lo, int span) {
            int m = to - from;
            if (span <= 0 || m == 1) return a;                           // one key: already in position order
            if (m <= INSERTION_MAX) {
                insertionSort(a, from, to);
                return a;
            }
            int passes = passes(span, m), width = (span + passes - 1) / passes, buckets = 1 << width, mask = buckets - 1;
            int shift = 32 + lo;
            // every pass's histogram in one read (a histogram does not depend on the order)
            for (int p = 0; p < passes; p++) java.util.Arrays.fill(count[p], 0, buckets, 0);
            if (passes == 2) {
                int[] c0 = count[0], c1 = count[1];
                for (int i = from; i < to; i++) {
                    int k = (int) (a[i] >>> shift);
                    c0[k & mask]++;
                    c1[(k >>> width) & mask]++;
                }
            } else {
                for (int i = from; i < to; i++) {
                    int k = (int) (a[i] >>> shift);
                    for (int p = 0; p < passes; p++) count[p][(k >>> (p * width)) & mask]++;
                }
            }
            long[] src = a, dst = b;
            int srcOff = from, dstOff = 0;                                // a holds the bucket at from, b at 0
            for (int p = 0; p < passes; p++) {
                int[] c = count[p];
                int digitShift = shift + p * width;
                if (c[(int) (src[srcOff] >>> digitShift) & mask] == m) continue;   // one digit: order unchanged
                for (int d = 0, sum = dstOff; d < buckets; d++) {           // bucket starts
                    int n = c[d];
                    c[d] = sum;
                    sum += n;
                }
                for (int i = srcOff, end = srcOff + m; i < end; i++) {
                    long v = src[i];
                    dst[c[(int) (v >>> digitShift) & mask]++] = v;
                }
                long[] t = src; src = dst; dst = t;
                int o = srcOff; srcOff = dstOff; dstOff = o;
            }
            if (src != a) System.arraycopy(src, srcOff, a, from, m);   // an odd number of passes moved it: back, in cache
            return a;
        }
    }

    /**
     * The number of LSD passes for {@code span} bits over {@code m} items: the fewest whose
     * digit (at most {@link #BUCKET_MAX_BITS} bits) keeps the histogram no larger than about
     * the bucket, since clearing and summing a histogram costs like moving its items.
     */
    static int passes(int span, int m) {
        int best = 1;
        long bestCost = Long.MAX_VALUE;
        for (int p = (span + BUCKET_MAX_BITS - 1) / BUCKET_MAX_BITS; p <= Math.min(span, MAX_BUCKET_PASSES); p++) {
            int w = (span + p - 1) / p;
            long cost = (long) p * (2L * m + (1L << w));
            if (cost < bestCost) {
                bestCost = cost;
                best = p;
            }
        }
        return best;
    }

    /** Sorts {@code a[from..to)} by unsigned value (the items are distinct). */
    static void insertionSort(long[] a, int from, int to) {
        for (int i = from + 1; i < to; i++) {
            long v = a[i], vs = v ^ Long.MIN_VALUE;
            int j = i - 1;
            while (j >= from && (a[j] ^ Long.MIN_VALUE) > vs) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = v;
        }
    }

    /** Alg. 1 over sorted items, in pieces: the running sums carry from one piece to the next. */
    private static final class Walk implements Pieces {
        final double total;
        final boolean relu, nonNegative;
        final float[] grad;
        long cumFg, cumBg;
        double jPrev, value;

        /**
         * {@code nonNegative}: every key has bit 31 clear (the AND and OR bracket the keys and the
         * OR has it clear), i.e. every error is >= +0, as the Lovász-Softmax errors are.
         */
        Walk(int foreground, boolean relu, float[] grad, boolean nonNegative) {
            this.total = foreground;
            this.relu = relu;
            this.grad = grad;
            this.nonNegative = nonNegative;
        }

        @Override
        public void accept(long[] sorted, int from, int to) {
            if (grad != null && !relu && nonNegative) {
                acceptNonNegative(sorted, from, to);
                return;
            }
            double total = this.total, jPrev = this.jPrev, value = this.value;
            long cumFg = this.cumFg, cumBg = this.cumBg;   // counts: exact in double, cheaper to add as integers
            float[] grad = this.grad;
            // branch-free in the foreground bit (it is as good as random in sorted order)
            for (int k = from; k < to; k++) {
                long v = sorted[k];
                int fg = (int) v & 1;
                cumFg += fg;
                cumBg += 1 - fg;
                double j = 1.0 - (total - cumFg) / (total + cumBg);     // J_k; total + cumBg >= 1
                double g = j - jPrev;
                jPrev = j;
                float err = LovaszSoftmaxLoss.keyError((int) (v >>> 32));
                boolean active = !relu || err > 0f;
                if (active) value += err * g;
                if (grad != null) {
                    // ∓ g: the sign bit flipped for foreground; relu'(e) = 0 where e <= 0
                    float signed = Float.intBitsToFloat(Float.floatToRawIntBits((float) g) ^ (fg << 31));
                    grad[(int) v >>> 1] = active ? signed : 0f;
                }
            }
            this.cumFg = cumFg;
            this.cumBg = cumBg;
            this.jPrev = jPrev;
            this.value = value;
        }

        /**
         * The Lovász-Softmax walk (errors >= +0, no relu, a gradient to write): the same doubles
         * in the same order with fewer instructions. {@code G - F_k} and {@code G + N_k} are
         * integers below 2^53, exact in double however they are reached, so they are carried as
         * doubles instead of converted from the counts at every item; the key of an error >= +0
         * is its float bits with bits 0..30 flipped ({@link LovaszSoftmaxLoss#keyError} without
         * the sign cases); no relu test.
         */
        private void acceptNonNegative(long[] sorted, int from, int to) {
            double total = this.total, jPrev = this.jPrev, value = this.value;
            double missing = total - cumFg, union = total + cumBg;     // G - F_k and G + N_k, exact
            float[] grad = this.grad;
            for (int k = from; k < to; k++) {
                long v = sorted[k];
                int fg = (int) v & 1;
                double f = fg;
                missing -= f;
                union += 1.0 - f;
                double j = 1.0 - missing / union;                      // J_k; union >= 1
                double g = j - jPrev;
                jPrev = j;
                float err = Float.intBitsToFloat((int) (v >>> 32) ^ 0x7fffffff);
                value += err * g;
                grad[(int) v >>> 1] = Float.intBitsToFloat(Float.floatToRawIntBits((float) g) ^ (fg << 31));
            }
            this.cumFg = (long) (total - missing);
            this.cumBg = (long) (union - total);
            this.jPrev = jPrev;
            this.value = value;
        }
    }
}
