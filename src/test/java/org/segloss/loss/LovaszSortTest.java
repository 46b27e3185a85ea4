package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LovaszSort} against the definition: a stable comparison sort of the errors (decreasing,
 * ties by increasing position, -0 = +0) followed by Alg. 1 in double in that order
 * (spec/losses/lovasz.md#formula). Value and gradient must agree bit for bit, at awkward sizes
 * and on key sets that take every path of the sort: insertion only, all keys equal, a top digit
 * narrower than {@link LovaszSort#TOP_BITS}, nothing below the top digit, one, two and more LSD
 * passes inside a bucket, skipped constant digits, negative errors (the hinge) and keys that
 * differ in bit 31.
 */
class LovaszSortTest {
    static final int[] SIZES = {0, 1, 2, 17, 32, 33, 100, 2049, 40_000};

    /** Error sets by name: each maps a size and a seed to errors. */
    enum Errors {
        UNIFORM01((n, r) -> (float) r.nextDouble()),
        SOFTMAX_LIKE((n, r) -> (float) Math.exp(-12 * r.nextDouble())),
        FEW_VALUES((n, r) -> r.nextInt(5) / 4f),                          // many ties
        ALL_EQUAL((n, r) -> 0.25f),
        SIGNED_ZEROS((n, r) -> r.nextBoolean() ? 0f : -0f),             // equal keys
        LOW_BITS_ONLY((n, r) -> Float.intBitsToFloat(0x3f000000 | r.nextInt(64))),   // span 6: top digit narrow, nothing below
        HIGH_BITS_ONLY((n, r) -> Float.intBitsToFloat(r.nextInt(1, 120) << 23)),       // powers of two: low bits constant
        ONE_BUCKET_WIDE((n, r) -> Float.intBitsToFloat(0x3f000000 | r.nextInt(1 << 21) << 2)),   // bits 2..22 vary
        HINGE((n, r) -> (float) (r.nextGaussian() * 3)),                 // negative and positive: bit 31 varies
        HINGE_TIES((n, r) -> r.nextInt(-4, 5) / 2f),
        WIDE((n, r) -> (float) (r.nextDouble() * Math.pow(10, r.nextInt(-30, 30)) * (r.nextBoolean() ? 1 : -1)));

        final Gen gen;

        Errors(Gen gen) { this.gen = gen; }

        float[] make(int n, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            float[] e = new float[n];
            for (int i = 0; i < n; i++) e[i] = gen.next(n, r);
            return e;
        }
    }

    @FunctionalInterface
    interface Gen {
        float next(int n, SplittableRandom r);
    }

    /** The definition's order: a stable comparison sort by decreasing error (+0f turns -0 into +0). */
    static Integer[] referenceOrder(float[] e) {
        Integer[] idx = new Integer[e.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparing((Integer i) -> e[i] + 0f).reversed());   // Arrays.sort on objects is stable
        return idx;
    }

    @Test
    void argsortIsTheStableDescendingOrder() {
        for (Errors kind : Errors.values()) {
            for (int n : SIZES) {
                float[] e = kind.make(n, 31L * n + kind.ordinal());
                Integer[] ref = referenceOrder(e);
                int[] got = LovaszSoftmaxLoss.argsortDescending(e, n);
                for (int k = 0; k < n; k++) assertEquals(ref[k].intValue(), got[k], kind + " n=" + n + " rank " + k);
            }
        }
    }

    @Test
    void sortGivesTheUnsignedOrderOfTheItems() {
        // any superset of the varying bits is allowed as OR/AND: 0 and -1 must give the same order
        for (Errors kind : Errors.values()) {
            for (int n : SIZES) {
                float[] e = kind.make(n, 7L * n + kind.ordinal());
                long[] items = new long[n];
                int or = 0, and = -1;
                for (int i = 0; i < n; i++) {
                    int k = LovaszSoftmaxLoss.errorKey(e[i]);
                    items[i] = LovaszSort.item(k, 3 * i + 1, i % 3 == 0);
                    or |= k;
                    and &= k;
                }
                Long[] boxed = new Long[n];
                for (int i = 0; i < n; i++) boxed[i] = items[i];
                Arrays.sort(boxed, Long::compareUnsigned);
                long[] expected = new long[n];
                for (int i = 0; i < n; i++) expected[i] = boxed[i];
                assertArrayEquals(expected, LovaszSort.sort(items.clone(), new long[n], n, or, and), kind + " n=" + n);
                assertArrayEquals(expected, LovaszSort.sort(items.clone(), new long[n], n, 0, -1), kind + " n=" + n + " all bits");
                // the top digit's histogram folded from the 16-bit key prefixes (or counted, when the digit lies lower)
                int[] prefix = new int[1 << (32 - LovaszSort.PREFIX_SHIFT)];
                for (long item : items) prefix[LovaszSort.itemKey(item) >>> LovaszSort.PREFIX_SHIFT]++;
                assertArrayEquals(expected, LovaszSort.sort(items.clone(), new long[n], n, or, and, prefix.clone()),
                        kind + " n=" + n + " prefix");
                assertArrayEquals(expected, LovaszSort.sort(items.clone(), new long[n], n, 0, -1, prefix.clone()),
                        kind + " n=" + n + " prefix, all bits");
                assertArrayEquals(expected, LovaszSort.sort(items.clone(), new long[n], n, or | 0x0f0f0000, and & 0x7fffffff,
                        prefix.clone()), kind + " n=" + n + " prefix, wider OR and AND");
            }
        }
    }

    @Test
    void itemsRoundTrip() {
        long v = LovaszSort.item(LovaszSoftmaxLoss.errorKey(0.75f), Integer.MAX_VALUE, true);
        assertEquals(0.75f, LovaszSoftmaxLoss.keyError(LovaszSort.itemKey(v)));
        assertEquals(Integer.MAX_VALUE, LovaszSort.itemPosition(v));
        assertTrue(LovaszSort.itemForeground(v));
        long w = LovaszSort.item(LovaszSoftmaxLoss.errorKey(-2f), 0, false);
        assertEquals(-2f, LovaszSoftmaxLoss.keyError(LovaszSort.itemKey(w)));
        assertEquals(0, LovaszSort.itemPosition(w));
        assertTrue(!LovaszSort.itemForeground(w));
        assertTrue(Long.compareUnsigned(v, w) < 0, "a larger error sorts first, even against a negative one");
    }

    /** Alg. 1 over the reference order, written plainly: the value and grad[position]. */
    static double referenceLovasz(float[] e, boolean[] fg, int[] position, boolean relu, float[] grad) {
        Integer[] order = referenceOrder(e);
        double total = 0;
        for (boolean f : fg) total += f ? 1 : 0;
        double cumFg = 0, cumBg = 0, jPrev = 0, value = 0;
        for (Integer i : order) {
            if (fg[i]) cumFg++; else cumBg++;
            double j = 1.0 - (total - cumFg) / (total + cumBg);
            double g = j - jPrev;
            jPrev = j;
            float err = e[i] + 0f;
            boolean active = !relu || err > 0f;
            if (active) value += err * g;
            grad[position[i]] = active ? (float) (fg[i] ? -g : g) : 0f;
        }
        return value;
    }

    @Test
    void walkEqualsAlgorithmOneBitForBit() {
        // sizes in decreasing then increasing order: the per-thread scratch is reused longer than n
        int[] sizes = {40_000, 2049, 33, 1, 0, 17, 100, 5000};
        for (boolean relu : new boolean[] {false, true}) {
            for (Errors kind : Errors.values()) {
                for (int n : sizes) {
                    // positions increasing, with gaps
                    Items it = Items.of(kind, n, 13L * n + kind.ordinal() + (relu ? 1000 : 0), 4, i -> 2 * i + (i & 1), 2 * n + 2, relu);
                    float[] e = it.e(), expectedGrad = it.expectedGrad();
                    int g = it.g(), or = it.or(), and = it.and();
                    double expected = it.expected();
                    long[][] scratch = LovaszSort.scratch(n);
                    for (int i = 0; i < n; i++) {
                        scratch[0][i] = LovaszSort.item(LovaszSoftmaxLoss.errorKey(e[i]), it.position()[i], it.fg()[i]);
                    }
                    long[] built = Arrays.copyOf(scratch[0], n);
                    float[] grad = new float[2 * n + 2];
                    double got = LovaszSort.lovasz(scratch[0], scratch[1], n, or, and, g, relu, grad);
                    String what = kind + " n=" + n + (relu ? " relu" : "");
                    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got), what + ": value");
                    for (int i = 0; i < grad.length; i++) {
                        assertEquals(Float.floatToRawIntBits(expectedGrad[i]), Float.floatToRawIntBits(grad[i]),
                                what + ": grad at " + i);
                    }
                    // the same with the prefix histogram built alongside the items, as the losses do
                    int[] prefix = LovaszSort.prefixCounts();
                    for (int i = 0; i < n; i++) prefix[LovaszSort.itemKey(built[i]) >>> LovaszSort.PREFIX_SHIFT]++;
                    System.arraycopy(built, 0, scratch[0], 0, n);
                    float[] grad2 = new float[2 * n + 2];
                    double got2 = LovaszSort.lovasz(scratch[0], scratch[1], n, or, and, prefix, g, relu, grad2);
                    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got2), what + ": value, prefix");
                    for (int i = 0; i < grad2.length; i++) {
                        assertEquals(Float.floatToRawIntBits(expectedGrad[i]), Float.floatToRawIntBits(grad2[i]),
                                what + ": grad at " + i + ", prefix");
                    }
                }
            }
        }
    }

    @Test
    void bucketPassesCoverTheSpanWithinTheLimits() {
        for (int span = 1; span <= 32; span++) {
            for (int m : new int[] {33, 100, 1000, 100_000, 1 << 22}) {
                int p = LovaszSort.passes(span, m), width = (span + p - 1) / p;
                assertTrue(p >= 1 && p <= LovaszSort.MAX_BUCKET_PASSES, "span " + span + " m " + m + ": " + p + " passes");
                assertTrue(width <= LovaszSort.BUCKET_MAX_BITS, "span " + span + " m " + m + ": width " + width);
                assertTrue(p * width >= span, "span " + span + " m " + m);
            }
        }
        assertEquals(2, LovaszSort.passes(16, 50_000), "16 bits over a large bucket: two 8-bit passes");
        assertEquals(1, LovaszSort.passes(8, 50_000));
    }

    /**
     * The losses' two-pass build: key statistics first, then every item written straight into its
     * top-digit bucket ({@link LovaszSort.Scatter}); the walk must equal the definition bit for bit.
     * The plan exists exactly when the top digit lies within the 16-bit prefix.
     */
    @Test
    void scatterPlanEqualsAlgorithmOneBitForBit() {
        int planned = 0;
        for (boolean relu : new boolean[] {false, true}) {
            for (Errors kind : Errors.values()) {
                for (int n : SIZES) {
                    Items it = Items.of(kind, n, 17L * n + kind.ordinal() + (relu ? 1000 : 0), 3, 3, relu);
                    LovaszSort.Scatter plan = LovaszSort.Scatter.plan(n, it.or(), it.and(), it.prefix());
                    LovaszSort.TopDigit digit = LovaszSort.TopDigit.of(n, it.or(), it.and());
                    String what = kind + " n=" + n + (relu ? " relu" : "");
                    assertEquals(digit.bits() > 0 && digit.keyShift() >= LovaszSort.PREFIX_SHIFT, plan != null, what + ": planned");
                    if (plan == null) continue;
                    planned++;
                    assertPlanGivesTheDefinition(plan, it, relu, what);
                }
            }
        }
        assertTrue(planned >= 20, "the planned path ran " + planned + " times");
    }

    /**
     * n items of the walk and scatter tests: errors of {@code kind}, every {@code fgEvery}-th item
     * (at random) foreground, item i at gradient position {@code position(i)} of a gradient of
     * {@code gradLength}; the key statistics the sorts take (or, and, the 16-bit prefix counts) and
     * the definition's value and gradient.
     */
    record Items(float[] e, boolean[] fg, int[] position, int g, int or, int and, int[] prefix, double expected, float[] expectedGrad) {
        static Items of(Errors kind, int n, long seed, int fgEvery, int stride, boolean relu) {
            return of(kind, n, seed, fgEvery, i -> stride * i + 1, stride * n + 2, relu);
        }

        static Items of(Errors kind, int n, long seed, int fgEvery, java.util.function.IntUnaryOperator at, int gradLength,
                        boolean relu) {
            float[] e = kind.make(n, seed);
            SplittableRandom r = new SplittableRandom(seed + 1);
            boolean[] fg = new boolean[n];
            int[] position = new int[n];
            int g = 0;
            for (int i = 0; i < n; i++) {
                fg[i] = r.nextInt(fgEvery) == 0;
                g += fg[i] ? 1 : 0;
                position[i] = at.applyAsInt(i);
            }
            float[] expectedGrad = new float[gradLength];
            double expected = referenceLovasz(e, fg, position, relu, expectedGrad);
            int[] prefix = LovaszSort.prefixCounts();
            int or = 0, and = -1;
            for (float v : e) {
                int k = LovaszSoftmaxLoss.errorKey(v);
                or |= k;
                and &= k;
                prefix[k >>> LovaszSort.PREFIX_SHIFT]++;
            }
            return new Items(e, fg, position, g, or, and, prefix, expected, expectedGrad);
        }
    }

    /** The items scattered by plan's cursors, then its walk: the definition's value and gradient bit for bit. */
    static void assertPlanGivesTheDefinition(LovaszSort.Scatter plan, Items it, boolean relu, String what) {
        int n = it.e().length;
        long[] bucketed = new long[n];
        int[] cursor = plan.cursors();
        for (int i = 0; i < n; i++) {
            int k = LovaszSoftmaxLoss.errorKey(it.e()[i]);
            bucketed[cursor[k >>> LovaszSort.PREFIX_SHIFT]++] = LovaszSort.item(k, it.position()[i], it.fg()[i]);
        }
        float[] grad = new float[it.expectedGrad().length];
        double got = plan.lovasz(bucketed, new long[n], it.g(), relu, grad);
        assertEquals(Double.doubleToRawLongBits(it.expected()), Double.doubleToRawLongBits(got), what + ": value");
        for (int i = 0; i < grad.length; i++) {
            assertEquals(Float.floatToRawIntBits(it.expectedGrad()[i]), Float.floatToRawIntBits(grad[i]), what + ": grad at " + i);
        }
    }

    /**
     * The scatter's buckets are runs of neighbouring 16-bit key prefixes: one prefix per bucket
     * (merge limit 1), small runs (2, 17 items), the default, and runs bounded only by the
     * {@link LovaszSort#MERGE_BITS} group. Every limit must give the definition's value and
     * gradient bit for bit, and the bucket count must follow the limit.
     */
    @Test
    void scatterBucketsOfMergedPrefixesEqualAlgorithmOneAtEveryMergeLimit() {
        int planned = 0, merged = 0;
        for (Errors kind : Errors.values()) {
            for (int n : new int[] {33, 100, 2049, 40_000}) {
                for (int mergeMax : new int[] {1, 2, 17, LovaszSort.MERGE_MAX, Integer.MAX_VALUE}) {
                    boolean relu = kind == Errors.HINGE || kind == Errors.HINGE_TIES;
                    Items it = Items.of(kind, n, 31L * n + kind.ordinal() + mergeMax, 5, 2, relu);
                    java.util.Set<Integer> prefixes = new java.util.HashSet<>(), groups = new java.util.HashSet<>();
                    for (float v : it.e()) {
                        int k = LovaszSoftmaxLoss.errorKey(v);
                        prefixes.add(k >>> LovaszSort.PREFIX_SHIFT);
                        groups.add(k >>> LovaszSort.PREFIX_SHIFT >>> LovaszSort.MERGE_BITS);
                    }
                    LovaszSort.Scatter plan = LovaszSort.Scatter.plan(n, it.or(), it.and(), it.prefix(), mergeMax);
                    String what = kind + " n=" + n + " mergeMax=" + mergeMax;
                    if (plan == null) continue;
                    planned++;
                    if (mergeMax == 1) assertEquals(prefixes.size(), plan.buckets(), what + ": one bucket per prefix");
                    if (mergeMax == Integer.MAX_VALUE) assertEquals(groups.size(), plan.buckets(), what + ": one bucket per group");
                    assertTrue(plan.buckets() >= groups.size() && plan.buckets() <= prefixes.size(), what + ": " + plan.buckets());
                    if (plan.buckets() < prefixes.size()) merged++;
                    assertPlanGivesTheDefinition(plan, it, relu, what);
                }
            }
        }
        assertTrue(planned >= 40, "the planned path ran " + planned + " times");
        assertTrue(merged >= 20, "buckets of several prefixes: " + merged + " times");
    }

    @Test
    void prefixCountsComeBackZeroed() {
        int[] p = LovaszSort.prefixCounts();
        assertEquals(1 << 16, p.length);
        p[12345] = 7;
        int[] q = LovaszSort.prefixCounts();
        assertSame(p, q, "the thread's histogram is reused");
        assertEquals(0, q[12345], "and cleared");
    }

    @Test
    void scratchGrowsAndIsReused() {
        long[][] a = LovaszSort.scratch(10);
        assertTrue(a[0].length >= 10 && a[1].length >= 10);
        long[][] b = LovaszSort.scratch(1000);
        assertTrue(b[0].length >= 1000 && b[1].length >= 1000);
        assertSame(b, LovaszSort.scratch(500), "a shorter request reuses the thread's arrays");
    }
}
