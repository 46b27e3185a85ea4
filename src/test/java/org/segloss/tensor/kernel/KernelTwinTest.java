package org.segloss.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Kernels.Unary;

/**
 * The Vector API kernels against the scalar spec: every {@link Kernels} method and every op, at
 * awkward sizes (every tail length), at every vector width this CPU allows, with and without an
 * offset, in place, and on special values. Leaf names read "vector-512 map(EXP) n=257".
 */
class KernelTwinTest {

    // ---- tolerances (the only place they are defined) -----------------------------------------
    /**
     * Elementwise: |v - s| <= REL * |s| + ABS. REL = 1e-6 is about 8 float ulps. Measured on
     * AVX-512 over 4M inputs in the ranges below: the SVML exp/log/log1p/tanh/pow intrinsics
     * differ from the spec's double-precision Math by at most 1 ulp, sigmoid (exp, add, div,
     * mul) by 3 ulp; 8 leaves room for other CPUs' intrinsics. ABS only absorbs results in the
     * denormal range, where a relative bound means nothing. Exact ops (add, mul, div, sqrt,
     * blends) agree bit for bit anyway.
     */
    static final double REL = 1e-6;
    static final double ABS = 1e-30;

    /**
     * Sums of n terms taken in different orders (lanes + reduceLanes vs sequential; FMA in dot):
     * |v - s| <= SUM_REL * sqrt(n) * sum|terms|. Rounding errors of a float sum random-walk, so
     * their typical size is eps * sqrt(n) * sum|terms| with eps = 6e-8; 1e-6 leaves ~16x margin.
     */
    static final double SUM_REL = 1e-6;

    static double sumTol(int n) {
        return SUM_REL * Math.sqrt(Math.max(n, 1));
    }

    static final int[] SIZES = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 255, 257, 1025, 65537};

    /** Where the operands sit: offsets into padded arrays, and whether out aliases input 0. */
    record Layout(int inOff, int outOff, int pad, boolean alias) {
        @Override public String toString() {
            return alias ? "in place at off=" + inOff : "inOff=" + inOff + " outOff=" + outOff;
        }
    }

    static final Layout[] LAYOUTS = {
        new Layout(0, 0, 0, false),     // tight arrays: the last vector ends at the array's end
        new Layout(3, 5, 11, false),    // unaligned offsets inside bigger arrays
        new Layout(2, 2, 7, true),      // out == input 0, same offset (allowed by the contract)
    };

    /** A random input generator for one operand. */
    @FunctionalInterface
    interface Gen {
        float next(Random r);
    }

    static Gen uniform(double lo, double hi) {
        return r -> (float) (lo + (hi - lo) * r.nextDouble());
    }

    /** Uniform, but one value in 16 is a signed zero, to exercise the compare-with-0 branches. */
    static Gen withZeros(double lo, double hi) {
        Gen u = uniform(lo, hi);
        return r -> r.nextInt(16) == 0 ? (r.nextBoolean() ? 0f : -0f) : u.next(r);
    }

    static Gen logUniform(double lo, double hi) {
        return r -> (float) Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * r.nextDouble());
    }

    static final Gen DEFAULT = withZeros(-4, 4);

    static Gen genFor(Unary op) {
        return switch (op) {
            case EXP -> uniform(-80, 80);           // exp stays normal: no overflow, no denormals
            case LOG -> logUniform(1e-6, 1e6);
            case LOG1P -> uniform(-0.999, 10);
            case SQRT -> uniform(0, 100);
            case SIGMOID -> withZeros(-30, 30);
            case TANH -> uniform(-10, 10);
            default -> DEFAULT;
        };
    }

    /** A kernel call on operands in[0..] at inOff, writing out at outOff. */
    @FunctionalInterface
    interface Call {
        void run(Kernels k, float[][] in, int inOff, float[] out, int outOff, int n);
    }

    // ---- the factory ------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicNode> twins() {
        Assumptions.assumeTrue(KernelProvider.vectorAvailable(),
                "jdk.incubator.vector is not readable: run with --add-modules jdk.incubator.vector");
        List<DynamicNode> perWidth = new ArrayList<>();
        for (int bits : KernelProvider.supportedWidths()) {
            Kernels v = KernelProvider.vector(bits);
            List<DynamicNode> nodes = new ArrayList<>();
            nodes.add(dynamicTest(v.name() + " name/lanes", () -> {
                assertEquals("vector-" + bits, v.name());
                assertEquals(bits / 32, v.lanes());
            }));
            nodes.add(group(v, "elementwise", elementwiseTests(v)));
            nodes.add(group(v, "reductions", reductionTests(v)));
            nodes.add(group(v, "softmax label sums", labelSumTests(v)));
            nodes.add(group(v, "softmax label sums with the exp-log term", LabelSumsWithLogTwins.tests(v)));
            nodes.add(group(v, "softmax weighted sums", weightedSumTests(v)));
            nodes.add(group(v, "softmax confusion sums", confusionSumTests(v)));
            nodes.add(group(v, "norm group statistics", GroupNormTwins.tests(v)));
            nodes.add(group(v, "max pooling", MaxPoolTwins.tests(v)));
            nodes.add(group(v, "cross-entropy chunk", CrossEntropyChunkTwins.tests(v)));
            nodes.add(group(v, "softmax column max", ColumnMaxTwins.tests(v)));
            nodes.add(group(v, "axis", axisTests(v)));
            nodes.add(group(v, "gemm", gemmTests(v)));
            nodes.add(group(v, "special values", specialTests(v)));
            perWidth.add(dynamicContainer(v.name(), nodes));
        }
        return perWidth.stream();
    }

    static DynamicContainer group(Kernels v, String what, List<DynamicNode> tests) {
        return dynamicContainer(v.name() + " " + what, tests);
    }

    // ---- elementwise ------------------------------------------------------------------------------

    static List<DynamicNode> elementwiseTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        for (Unary op : Unary.values()) {
            out.add(sized(v, "map(" + op + ")", new Gen[] {genFor(op)},
                    (k, in, io, o, oo, n) -> k.map(op, in[0], io, o, oo, n)));
        }
        for (Binary op : Binary.values()) {
            Gen ga = DEFAULT;
            Gen gb = switch (op) {
                case SIGMOID_GRAD -> uniform(0, 1);
                case TANH_GRAD -> uniform(-1, 1);
                default -> DEFAULT;
            };
            // the scalar operand is drawn once per test name, so it is the same for both twins
            float s = gb.next(new Random(op.ordinal() * 31L + 7));
            float sl = ga.next(new Random(op.ordinal() * 37L + 11));
            out.add(sized(v, "zip(" + op + ")", new Gen[] {ga, gb},
                    (k, in, io, o, oo, n) -> k.zip(op, in[0], io, in[1], io, o, oo, n)));
            out.add(sized(v, "zipScalarRight(" + op + ", s=" + s + ")", new Gen[] {ga},
                    (k, in, io, o, oo, n) -> k.zipScalarRight(op, in[0], io, s, o, oo, n)));
            out.add(sized(v, "zipScalarLeft(" + op + ", s=" + sl + ")", new Gen[] {gb},
                    (k, in, io, o, oo, n) -> k.zipScalarLeft(op, sl, in[0], io, o, oo, n)));
        }
        for (float p : new float[] {0f, 0.5f, 1f, 2f, 3f, -1f, 1.7f, -2.5f}) {
            out.add(sized(v, "pow(p=" + p + ")", new Gen[] {uniform(0.01, 10)},
                    (k, in, io, o, oo, n) -> k.pow(in[0], io, p, o, oo, n)));
        }
        out.add(sized(v, "clamp(-1, 2)", new Gen[] {DEFAULT},
                (k, in, io, o, oo, n) -> k.clamp(in[0], io, -1f, 2f, o, oo, n)));
        out.add(sized(v, "clampGrad(-1, 2)", new Gen[] {DEFAULT, withZeros(-3, 3)},
                (k, in, io, o, oo, n) -> k.clampGrad(in[0], io, in[1], io, -1f, 2f, o, oo, n)));
        // the int mask is derived from input 2 so both twins see the same one
        out.add(sized(v, "select", new Gen[] {DEFAULT, DEFAULT, uniform(-1, 1)},
                (k, in, io, o, oo, n) -> k.select(mask(in[2]), io, in[0], io, in[1], io, o, oo, n)));
        // labels derived from input 1 (so both twins see the same ones): classes 0, 1, 2 and an ignore value 255
        out.add(sized(v, "addWhereEqual(label=1, v=-0.75)", new Gen[] {DEFAULT, uniform(-1, 1)},
                (k, in, io, o, oo, n) -> k.addWhereEqual(labels(in[1]), io, 1, -0.75f, in[0], io, o, oo, n)));
        out.add(sized(v, "addWhereEqual(label=255, v=2)", new Gen[] {DEFAULT, uniform(-1, 1)},
                (k, in, io, o, oo, n) -> k.addWhereEqual(labels(in[1]), io, 255, 2f, in[0], io, o, oo, n)));
        out.add(sized(v, "selectWhereEqual(label=2)", new Gen[] {DEFAULT, DEFAULT, uniform(-1, 1)},
                (k, in, io, o, oo, n) -> k.selectWhereEqual(labels(in[2]), io, 2, in[0], io, in[1], io, o, oo, n)));
        out.add(sized(v, "selectWhereEqual(label=255)", new Gen[] {DEFAULT, DEFAULT, uniform(-1, 1)},
                (k, in, io, o, oo, n) -> k.selectWhereEqual(labels(in[2]), io, 255, in[0], io, in[1], io, o, oo, n)));
        // in place over a copy of input 1; labels from input 2
        out.add(sized(v, "addSquaredErrorGradient(label=1, 0.5, -1.5)", new Gen[] {uniform(0, 1), DEFAULT, uniform(-1, 1)},
                (k, in, io, o, oo, n) -> {
                    System.arraycopy(in[1], io, o, oo, n);
                    k.addSquaredErrorGradient(labels(in[2]), io, 1, 0.5f, -1.5f, in[0], io, o, oo, n);
                }));
        out.add(sized(v, "triad(s=-1.25)", new Gen[] {DEFAULT, DEFAULT},
                (k, in, io, o, oo, n) -> k.triad(in[0], io, -1.25f, in[1], io, o, oo, n)));
        out.add(sized(v, "leakyRelu(slope=0.01)", new Gen[] {DEFAULT},
                (k, in, io, o, oo, n) -> k.leakyRelu(in[0], io, 0.01f, o, oo, n)));
        out.add(sized(v, "leakyReluGrad(slope=-0.3)", new Gen[] {DEFAULT, DEFAULT},
                (k, in, io, o, oo, n) -> k.leakyReluGrad(in[0], io, in[1], io, -0.3f, o, oo, n)));
        out.add(sized(v, "fill(3.5)", new Gen[] {DEFAULT},
                (k, in, io, o, oo, n) -> k.fill(o, oo, n, 3.5f)));
        return out;
    }

    /** Labels the same length as x: 0, 1, 2, or 255 (also for the NaN padding). */
    /** Plausible softmax stats of cols columns: the rows m at so and log s at so + cols. */
    static void softmaxStats(Random rnd, float[] stats, int so, int cols) {
        for (int j = 0; j < cols; j++) {
            stats[so + j] = uniform(-1, 12).next(rnd);            // m
            stats[so + cols + j] = uniform(0, 3).next(rnd);       // log s
        }
    }

    static int[] labels(float[] x) {
        int[] m = new int[x.length];
        for (int i = 0; i < x.length; i++) m[i] = x[i] > 0.5f ? 2 : x[i] > 0f ? 1 : x[i] > -0.5f ? 0 : 255;
        return m;
    }

    /** An int mask the same length as x: 0, 1 or -7 (any nonzero selects a). */
    static int[] mask(float[] x) {
        int[] m = new int[x.length];
        // values outside the range are NaN: NaN > 0 is false; "!= 0" semantics get 0, 1 and -7
        for (int i = 0; i < x.length; i++) m[i] = x[i] > 0.5f ? -7 : (x[i] > 0 ? 1 : 0);
        return m;
    }

    /** One container per kernel, one test per size, each run in every layout. */
    static DynamicContainer sized(Kernels v, String what, Gen[] gens, Call call) {
        List<DynamicNode> tests = new ArrayList<>();
        for (int n : SIZES) {
            String name = v.name() + " " + what + " n=" + n;
            tests.add(dynamicTest(name, () -> {
                for (Layout l : LAYOUTS) runElementwise(v, name + " [" + l + "]", gens, call, n, l);
            }));
        }
        return dynamicContainer(v.name() + " " + what, tests);
    }

    static void runElementwise(Kernels v, String ctx, Gen[] gens, Call call, int n, Layout l) {
        Random rnd = new Random(ctx.hashCode());
        float[][] in = new float[gens.length][];
        for (int a = 0; a < gens.length; a++) {
            // NaN padding: a kernel that reads outside its range would poison its output
            in[a] = new float[l.inOff + n + l.pad];
            Arrays.fill(in[a], Float.NaN);
            for (int i = 0; i < n; i++) in[a][l.inOff + i] = gens[a].next(rnd);
        }
        float[] outS = run(KernelProvider.scalar(), call, in, n, l);
        float[] outV = run(v, call, in, n, l);
        float[] before = l.alias ? in[0] : sentinel(l.outOff + n + l.pad);
        assertUntouched(ctx, before, outV, l.outOff, n);
        for (int i = 0; i < n; i++) {
            float s = outS[l.outOff + i];
            assertClose(ctx + " at i=" + i + " (x=" + in[0][l.inOff + i] + ")", s, outV[l.outOff + i],
                    REL * Math.abs(s) + ABS);
        }
    }

    /** Runs one twin on private copies of the inputs; returns its output array. */
    static float[] run(Kernels k, Call call, float[][] in, int n, Layout l) {
        float[][] copy = new float[in.length][];
        for (int a = 0; a < in.length; a++) copy[a] = in[a].clone();
        float[] out = l.alias ? copy[0] : sentinel(l.outOff + n + l.pad);
        call.run(k, copy, l.inOff, out, l.alias ? l.inOff : l.outOff, n);
        return out;
    }

    static final float SENTINEL = -123.25f;

    static float[] sentinel(int len) {
        float[] a = new float[len];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    /** Elements of out outside [off, off + n) must be bit-identical to `before`. */
    static void assertUntouched(String ctx, float[] before, float[] out, int off, int n) {
        for (int i = 0; i < out.length; i++) {
            if (i >= off && i < off + n) continue;
            if (Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(out[i])) {
                fail(ctx + ": wrote outside its range at index " + i + " (range [" + off + ", "
                        + (off + n) + ")): " + before[i] + " -> " + out[i]);
            }
        }
    }

    /** NaN matches NaN, infinities match exactly, finite values within tol. */
    static void assertClose(String ctx, float s, float v, double tol) {
        if (Float.isNaN(s) || Float.isNaN(v)) {
            if (Float.isNaN(s) != Float.isNaN(v)) fail(ctx + ": scalar " + s + ", vector " + v);
            return;
        }
        if (Float.isInfinite(s) || Float.isInfinite(v)) {
            if (s != v) fail(ctx + ": scalar " + s + ", vector " + v);
            return;
        }
        double d = Math.abs((double) v - s);
        if (!(d <= tol)) {
            fail(ctx + ": scalar " + s + ", vector " + v + ", |diff| " + d + " > tol " + tol
                    + " (" + (float) (d / Math.max(Math.ulp(s), Float.MIN_VALUE)) + " ulp)");
        }
    }

    // ---- reductions ---------------------------------------------------------------------------------

    @FunctionalInterface
    interface Reduce {
        float run(Kernels k, float[][] in, int off, int n);
    }

    static List<DynamicNode> reductionTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        // sum|x| (or sum|a b|) sets the scale of a sum's rounding error; max/min must be exact
        out.add(reduction(v, "sum", 1, (k, in, o, n) -> k.sum(in[0], o, n),
                (in, o, n) -> sumTol(n) * sumAbs(in[0], null, o, n)));
        out.add(reduction(v, "dot", 2, (k, in, o, n) -> k.dot(in[0], o, in[1], o, n),
                (in, o, n) -> sumTol(n) * sumAbs(in[0], in[1], o, n)));
        out.add(reduction(v, "sumWhereEqual(label=2)", 2, (k, in, o, n) -> k.sumWhereEqual(labels(in[1]), o, 2, in[0], o, n),
                (in, o, n) -> sumTol(n) * sumAbs(in[0], null, o, n)));
        out.add(reduction(v, "sumSquaredErrorWhereEqual(label=2)", 2,
                (k, in, o, n) -> k.sumSquaredErrorWhereEqual(labels(in[1]), o, 2, in[0], o, n),
                (in, o, n) -> {
                    double t = 0;
                    for (int i = 0; i < n; i++) t += (1 - in[0][o + i]) * (double) (1 - in[0][o + i]);
                    return sumTol(n) * t + ABS;
                }));
        // an integer count: exact, the twins agree bit for bit
        out.add(reduction(v, "countEqual(label=1)", 1, (k, in, o, n) -> k.countEqual(labels(in[0]), o, 1, n), (in, o, n) -> 0));
        out.add(reduction(v, "countEqual(label=255)", 1, (k, in, o, n) -> k.countEqual(labels(in[0]), o, 255, n), (in, o, n) -> 0));
        out.add(reduction(v, "max", 1, (k, in, o, n) -> k.max(in[0], o, n), (in, o, n) -> 0));
        out.add(reduction(v, "min", 1, (k, in, o, n) -> k.min(in[0], o, n), (in, o, n) -> 0));
        return out;
    }

    // ---- softmax fused with per-class label sums (next to the label reductions above) ---------------

    /** Label-sum shapes {classes n, cols, inner}: compact (inner = cols), strided, one column (inner 1). */
    static List<int[]> labelSumShapes(int lanes) {
        List<int[]> s = new ArrayList<>();
        for (int n : new int[] {1, 2, 4, 17}) {
            s.add(new int[] {n, 1, 1});
            for (int cols : new int[] {1, 2, 15, 17, 33, lanes - 1, lanes, lanes + 1, 2049}) {
                s.add(new int[] {n, cols, cols});
                s.add(new int[] {n, cols, cols + 3});
            }
        }
        return s;
    }

    /** Labels for a label-sum case: classes 0..n-1 and values that match no class (n, -1, 255). */
    static int[] classLabels(Random rnd, int len, int n) {
        int[] lab = new int[len];
        int[] none = {n, -1, 255};
        for (int j = 0; j < len; j++) lab[j] = rnd.nextInt(8) == 0 ? none[rnd.nextInt(3)] : rnd.nextInt(n);
        return lab;
    }

    static final int ALL_LABEL_SUMS = (1 << Kernels.LABEL_SUM_SLOTS) - 1;

    static List<DynamicNode> labelSumTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        Kernels s = KernelProvider.scalar();
        int dice = Kernels.SUM_AT_LABEL | Kernels.SUM_ALL | Kernels.COUNT_AT_LABEL;
        for (int stats : new int[] {ALL_LABEL_SUMS, dice, Kernels.SUM_AT_LABEL | Kernels.SUM_SQUARES_OFF_LABEL}) {
            out.add(dynamicTest(v.name() + " softmaxLabelSums(stats=" + Integer.toBinaryString(stats) + ")", () -> {
                for (int[] shape : labelSumShapes(v.lanes())) {
                    for (boolean inPlace : new boolean[] {false, true}) labelSumCase(s, v, shape[0], shape[1], shape[2], inPlace, stats);
                }
            }));
        }
        out.add(dynamicTest(v.name() + " softmaxLabelSums finiteness sum", () -> {
            for (int[] shape : labelSumShapes(v.lanes())) {
                int n = shape[0], cols = shape[1], inner = shape[2];
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    for (int at : new int[] {0, cols / 2, cols - 1}) {   // in a vector block and in the tail
                        Random rnd = new Random(n * 131L + cols * 7L + at);
                        int off = 3;
                        float[] x = new float[off + (n - 1) * inner + cols + 4];
                        Arrays.fill(x, Float.NaN);   // the padding: never read
                        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) x[off + k * inner + j] = uniform(-10, 10).next(rnd);
                        int[] lab = classLabels(rnd, cols, n);
                        for (Kernels k : new Kernels[] {s, v}) {
                            float[] p = new float[x.length], sums = new float[Kernels.LABEL_SUM_SLOTS * n];
                            String ctx = k.name() + " softmaxLabelSums [n=" + n + ", cols=" + cols + ", inner=" + inner + "]";
                            assertEquals(0f, k.softmaxLabelSums(x, off, n, inner, cols, p, off, lab, 0, ALL_LABEL_SUMS, sums, 0), ctx + ": finite");
                            float[] xb = x.clone();
                            xb[off + (n - 1) * inner + at] = bad;
                            assertTrue(Float.isNaN(k.softmaxLabelSums(xb, off, n, inner, cols, p, off, lab, 0, ALL_LABEL_SUMS, sums, 0)),
                                    ctx + ": " + bad + " at column " + at + " must give NaN");
                        }
                    }
                }
            }
        }));
        out.add(dynamicTest(v.name() + " softmaxLabelSumsBackward", () -> {
            for (int[] shape : labelSumShapes(v.lanes())) {
                for (boolean inPlace : new boolean[] {false, true}) labelSumBackwardCase(s, v, shape[0], shape[1], shape[2], inPlace);
            }
        }));
        return out;
    }

    /**
     * softmaxLabelSums: in each implementation its p is that implementation's softmax bit for bit;
     * the sums of both twins lie within a sum tolerance of double sums over the scalar twin's p, the
     * counts exactly; the slots not asked for are 0; nothing outside the columns is written.
     */
    static void labelSumCase(Kernels s, Kernels v, int n, int cols, int inner, boolean inPlace, int stats) {
        String ctx = v.name() + " softmaxLabelSums [n=" + n + ", cols=" + cols + ", inner=" + inner + "]" + (inPlace ? " in place" : "");
        Random rnd = new Random(ctx.hashCode() + stats);
        int off = 5, len = off + (n - 1) * inner + cols + 3;
        float[] x = new float[len];
        Arrays.fill(x, Float.NaN);
        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) x[off + k * inner + j] = uniform(-10, 10).next(rnd);
        int[] lab = classLabels(rnd, 2 + cols, n);
        int slots = Kernels.LABEL_SUM_SLOTS * n;
        float[][] p = new float[2][], sums = new float[2][];
        Kernels[] twins = {s, v};
        for (int t = 0; t < 2; t++) {
            Kernels k = twins[t];
            float[] xs = x.clone();
            p[t] = inPlace ? xs : sentinel(len);
            sums[t] = sentinel(slots + 4);
            float finite = k.softmaxLabelSums(xs, off, n, inner, cols, p[t], off, lab, 2, stats, sums[t], 2);
            assertEquals(0f, finite, ctx + " " + k.name() + ": finite logits");
            float[] soft = sentinel(len);
            k.softmax(x, off, n, inner, cols, soft, off);
            for (int i = 0; i < len; i++) {
                int kk = (i - off) / Math.max(inner, 1), j = (i - off) - kk * inner;
                boolean inRange = i >= off && kk < n && j < cols;
                float want = inRange ? soft[i] : inPlace ? x[i] : SENTINEL;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(p[t][i]),
                        ctx + " " + k.name() + " at " + i + (inRange ? ": the softmax's bits" : ": outside the columns"));
            }
            assertEquals(SENTINEL, sums[t][0], ctx + ": sums written before their offset");
            assertEquals(SENTINEL, sums[t][2 + slots], ctx + ": sums written past their end");
        }
        for (int slot = 0; slot < Kernels.LABEL_SUM_SLOTS; slot++) {
            for (int k = 0; k < n; k++) {
                double want = 0, scale = 0;
                for (int j = 0; j < cols; j++) {
                    double q = p[0][off + k * inner + j], term;
                    boolean at = lab[2 + j] == k;
                    term = switch (slot) {
                        case 0 -> at ? q : 0;
                        case 1 -> q;
                        case 2 -> q * q;
                        case 3 -> at ? (1 - q) * (1 - q) : 0;
                        case 4 -> at ? 0 : q * q;
                        default -> at ? 1 : 0;
                    };
                    want += term;
                    scale += Math.abs(term);
                }
                if ((stats & (1 << slot)) == 0) want = 0;
                for (int t = 0; t < 2; t++) {
                    float got = sums[t][2 + slot * n + k];
                    String at = ctx + " " + twins[t].name() + " slot " + slot + " class " + k;
                    if (slot == 5 || (stats & (1 << slot)) == 0) assertEquals((float) want, got, at + ": exact");
                    // the p of the twins differ within the softmax tolerance, hence the REL term
                    else assertClose(at, (float) want, got, (sumTol(cols) + 4 * REL) * scale + ABS);
                }
            }
        }
    }

    /**
     * softmaxLabelSumsBackward: the twins agree bit for bit (the same FMAs in the same order), and
     * lie within a tolerance of the double formula; nothing outside the columns is written.
     */
    static void labelSumBackwardCase(Kernels s, Kernels v, int n, int cols, int inner, boolean inPlace) {
        String ctx = v.name() + " softmaxLabelSumsBackward [n=" + n + ", cols=" + cols + ", inner=" + inner + "]" + (inPlace ? " in place" : "");
        Random rnd = new Random(ctx.hashCode());
        int off = 3, len = off + (n - 1) * inner + cols + 2;
        float[] logits = new float[len], pr = new float[len];
        Arrays.fill(logits, Float.NaN);
        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) logits[off + k * inner + j] = uniform(-6, 6).next(rnd);
        s.softmax(logits, off, n, inner, cols, pr, off);
        for (int i = 0; i < len; i++) if (Float.isNaN(logits[i])) pr[i] = Float.NaN;   // padding
        int[] lab = classLabels(rnd, 1 + cols, n);
        float[] coef = new float[2 + 4 * n];
        for (int i = 0; i < coef.length; i++) coef[i] = uniform(-2, 2).next(rnd);
        float[][] res = new float[2][];
        Kernels[] twins = {s, v};
        for (int t = 0; t < 2; t++) {
            float[] y = pr.clone();
            res[t] = inPlace ? y : sentinel(len);
            twins[t].softmaxLabelSumsBackward(y, off, n, inner, cols, lab, 1, coef, 2, res[t], off);
        }
        for (int j = 0; j < cols; j++) {
            double d = 0, dAbs = 0;
            double[] gp = new double[n];
            for (int k = 0; k < n; k++) {
                double q = pr[off + k * inner + j];
                boolean at = lab[1 + j] == k;
                gp[k] = at ? coef[2 + n + k] + q * coef[2 + 3 * n + k] : coef[2 + k] + q * coef[2 + 2 * n + k];
                d += q * gp[k];
                dAbs += Math.abs(q * gp[k]) + Math.abs(q) * (Math.abs(coef[2 + 2 * n + k]) + Math.abs(coef[2 + 3 * n + k]));
            }
            for (int k = 0; k < n; k++) {
                int i = off + k * inner + j;
                double q = pr[i], want = q * (gp[k] - d);
                assertClose(ctx + " scalar vs the formula at (k=" + k + ", j=" + j + ")", (float) want, res[0][i],
                        Math.abs(q) * (sumTol(n) + 4 * REL) * (Math.abs(gp[k]) + dAbs) + ABS);
            }
        }
        for (int i = 0; i < len; i++) {
            assertEquals(Float.floatToRawIntBits(res[0][i]), Float.floatToRawIntBits(res[1][i]), ctx + " twins at " + i);
            int kk = (i - off) / inner, j = (i - off) - kk * inner;
            boolean inRange = i >= off && kk < n && j < cols;
            if (!inRange) {
                float want = inPlace ? pr[i] : SENTINEL;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(res[1][i]), ctx + ": written outside the columns at " + i);
            }
        }
    }

    // ---- softmax fused with the confusion sums (the generalised Wasserstein Dice loss) ---------------

    /** Confusion-sum shapes {classes n, cols, inner}: odd and tile-straddling n, compact, strided, one column. */
    static List<int[]> confusionShapes(int lanes) {
        List<int[]> s = new ArrayList<>();
        for (int n : new int[] {1, 2, 3, 4, 5, 17}) {
            s.add(new int[] {n, 1, 1});
            for (int cols : new int[] {1, 2, 4, 17, 33, lanes - 1, lanes, lanes + 1, 2049}) {
                s.add(new int[] {n, cols, cols});
                s.add(new int[] {n, cols, cols + 3});
            }
        }
        return s;
    }

    static List<DynamicNode> confusionSumTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        Kernels s = KernelProvider.scalar();
        out.add(dynamicTest(v.name() + " softmaxConfusionSums", () -> {
            for (int[] shape : confusionShapes(v.lanes())) {
                for (boolean inPlace : new boolean[] {false, true}) confusionCase(s, v, shape[0], shape[1], shape[2], inPlace);
            }
        }));
        out.add(dynamicTest(v.name() + " softmaxConfusionSums finiteness sum", () -> {
            for (int[] shape : confusionShapes(v.lanes())) {
                int n = shape[0], cols = shape[1], inner = shape[2];
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    for (int at : new int[] {0, cols / 2, cols - 1}) {   // in a vector block and in the tail
                        Random rnd = new Random(n * 137L + cols * 11L + at);
                        int off = 3;
                        float[] x = new float[off + (n - 1) * inner + cols + 4];
                        Arrays.fill(x, Float.NaN);   // the padding: never read
                        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) x[off + k * inner + j] = uniform(-10, 10).next(rnd);
                        int[] lab = classLabels(rnd, cols, n);
                        for (Kernels k : new Kernels[] {s, v}) {
                            float[] p = new float[x.length], sums = new float[n * n + 1];
                            String ctx = k.name() + " softmaxConfusionSums [n=" + n + ", cols=" + cols + ", inner=" + inner + "]";
                            assertEquals(0f, k.softmaxConfusionSums(x, off, n, inner, cols, p, off, lab, 0, sums, 0), ctx + ": finite");
                            float[] xb = x.clone();
                            xb[off + (at % n) * inner + at] = bad;
                            assertTrue(Float.isNaN(k.softmaxConfusionSums(xb, off, n, inner, cols, p, off, lab, 0, sums, 0)),
                                    ctx + ": " + bad + " at column " + at + " must give NaN");
                        }
                    }
                }
            }
        }));
        return out;
    }

    /**
     * softmaxConfusionSums: in each implementation its p is that implementation's softmax bit for
     * bit, and each sum S[g, l] is that implementation's sumWhereEqual of row l of p against label g
     * bit for bit (the n * n calls it replaces); the count of labels in [0, n) is exact; the sums of
     * both twins lie within a sum tolerance of double sums over the scalar twin's p; nothing outside
     * the columns and the n * n + 1 sums is written. Labels include values outside [0, n) (n, -1, 255).
     */
    static void confusionCase(Kernels s, Kernels v, int n, int cols, int inner, boolean inPlace) {
        String ctx = v.name() + " softmaxConfusionSums [n=" + n + ", cols=" + cols + ", inner=" + inner + "]" + (inPlace ? " in place" : "");
        Random rnd = new Random(ctx.hashCode());
        int off = 5, len = off + (n - 1) * inner + cols + 3;
        float[] x = new float[len];
        Arrays.fill(x, Float.NaN);
        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) x[off + k * inner + j] = uniform(-10, 10).next(rnd);
        int[] lab = classLabels(rnd, 2 + cols, n);
        int slots = n * n + 1, inRange = 0;
        for (int j = 0; j < cols; j++) if (lab[2 + j] >= 0 && lab[2 + j] < n) inRange++;
        float[][] p = new float[2][], sums = new float[2][];
        Kernels[] twins = {s, v};
        for (int t = 0; t < 2; t++) {
            Kernels k = twins[t];
            float[] xs = x.clone();
            p[t] = inPlace ? xs : sentinel(len);
            sums[t] = sentinel(slots + 4);
            float finite = k.softmaxConfusionSums(xs, off, n, inner, cols, p[t], off, lab, 2, sums[t], 2);
            assertEquals(0f, finite, ctx + " " + k.name() + ": finite logits");
            float[] soft = sentinel(len);
            k.softmax(x, off, n, inner, cols, soft, off);
            for (int i = 0; i < len; i++) {
                int kk = (i - off) / Math.max(inner, 1), j = (i - off) - kk * inner;
                boolean inCols = i >= off && kk < n && j < cols;
                float want = inCols ? soft[i] : inPlace ? x[i] : SENTINEL;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(p[t][i]),
                        ctx + " " + k.name() + " at " + i + (inCols ? ": the softmax's bits" : ": outside the columns"));
            }
            for (int g = 0; g < n; g++) {
                for (int l = 0; l < n; l++) {
                    // sumWhereEqual over a compact copy of row l (its own layout: contiguous)
                    float[] row = new float[cols];
                    for (int j = 0; j < cols; j++) row[j] = soft[off + l * inner + j];
                    float want = k.sumWhereEqual(lab, 2, g, row, 0, cols);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(sums[t][2 + g * n + l]),
                            ctx + " " + k.name() + " S[" + g + ", " + l + "]: sumWhereEqual's bits");
                }
            }
            assertEquals((float) inRange, sums[t][2 + n * n], ctx + " " + k.name() + ": the count of labels in [0, n)");
            assertEquals(SENTINEL, sums[t][1], ctx + ": sums written before their offset");
            assertEquals(SENTINEL, sums[t][2 + slots], ctx + ": sums written past their end");
        }
        for (int g = 0; g < n; g++) {
            for (int l = 0; l < n; l++) {
                double want = 0, scale = 0;
                for (int j = 0; j < cols; j++) {
                    if (lab[2 + j] != g) continue;
                    double q = p[0][off + l * inner + j];
                    want += q;
                    scale += Math.abs(q);
                }
                for (int t = 0; t < 2; t++) {
                    // the p of the twins differ within the softmax tolerance, hence the REL term
                    assertClose(ctx + " " + twins[t].name() + " S[" + g + ", " + l + "]", (float) want, sums[t][2 + g * n + l],
                            (sumTol(cols) + 4 * REL) * scale + ABS);
                }
            }
        }
    }

    // ---- softmax fused with per-class weighted sums (the boundary loss's Σ p φ) ----------------------

    /** The row strides of the weights for a case: like the logits, and another (a map's rows beside a compact chunk). */
    static int[] weightStrides(int cols, int inner) {
        return new int[] {inner, cols + 5};
    }

    /** Weights for n rows of cols at off with the given stride, NaN padding elsewhere; one in 16 a signed zero. */
    static float[] weights(Random rnd, int n, int cols, int off, int stride) {
        float[] w = new float[off + (n - 1) * stride + cols + 3];
        Arrays.fill(w, Float.NaN);   // never read: a kernel that did would poison a sum or a gradient
        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) w[off + k * stride + j] = withZeros(-20, 20).next(rnd);
        return w;
    }

    static List<DynamicNode> weightedSumTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        Kernels s = KernelProvider.scalar();
        out.add(dynamicTest(v.name() + " softmaxWeightedSums", () -> {
            for (int[] shape : labelSumShapes(v.lanes())) {
                for (int ws : weightStrides(shape[1], shape[2])) {
                    for (boolean inPlace : new boolean[] {false, true}) weightedSumCase(s, v, shape[0], shape[1], shape[2], ws, inPlace);
                }
            }
        }));
        out.add(dynamicTest(v.name() + " softmaxWeightedSums non-finite logits and weights", () -> {
            for (int[] shape : labelSumShapes(v.lanes())) weightedSumNonFiniteCase(s, v, shape[0], shape[1], shape[2]);
        }));
        out.add(dynamicTest(v.name() + " softmaxWeightedSumsBackward", () -> {
            for (int[] shape : labelSumShapes(v.lanes())) {
                for (int ws : weightStrides(shape[1], shape[2])) {
                    for (boolean inPlace : new boolean[] {false, true}) weightedSumBackwardCase(s, v, shape[0], shape[1], shape[2], ws, inPlace);
                }
            }
        }));
        return out;
    }

    /**
     * softmaxWeightedSums: in each implementation its p is that implementation's softmax bit for bit
     * and its sums are its own dot over p and w bit for bit (the general path's arithmetic); the
     * sums of both twins lie within a sum tolerance of double sums over the scalar twin's p; nothing
     * outside the columns or the sums is written; finite logits give a finiteness sum of 0.
     */
    static void weightedSumCase(Kernels s, Kernels v, int n, int cols, int inner, int wStride, boolean inPlace) {
        String ctx = v.name() + " softmaxWeightedSums [n=" + n + ", cols=" + cols + ", inner=" + inner + ", wStride=" + wStride + "]"
                + (inPlace ? " in place" : "");
        Random rnd = new Random(ctx.hashCode());
        int off = 5, len = off + (n - 1) * inner + cols + 3, wOff = 2;
        float[] x = new float[len];
        Arrays.fill(x, Float.NaN);
        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) x[off + k * inner + j] = uniform(-10, 10).next(rnd);
        float[] w = weights(rnd, n, cols, wOff, wStride);
        float[][] p = new float[2][], sums = new float[2][];
        Kernels[] twins = {s, v};
        for (int t = 0; t < 2; t++) {
            Kernels k = twins[t];
            float[] xs = x.clone();
            p[t] = inPlace ? xs : sentinel(len);
            sums[t] = sentinel(n + 4);
            float finite = k.softmaxWeightedSums(xs, off, n, inner, cols, p[t], off, w, wOff, wStride, sums[t], 2);
            assertEquals(0f, finite, ctx + " " + k.name() + ": finite logits");
            float[] soft = sentinel(len);
            k.softmax(x, off, n, inner, cols, soft, off);
            for (int i = 0; i < len; i++) {
                int kk = (i - off) / Math.max(inner, 1), j = (i - off) - kk * inner;
                boolean inRange = i >= off && kk < n && j < cols;
                float want = inRange ? soft[i] : inPlace ? x[i] : SENTINEL;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(p[t][i]),
                        ctx + " " + k.name() + " at " + i + (inRange ? ": the softmax's bits" : ": outside the columns"));
            }
            assertEquals(SENTINEL, sums[t][0], ctx + ": sums written before their offset");
            assertEquals(SENTINEL, sums[t][1], ctx + ": sums written before their offset");
            assertEquals(SENTINEL, sums[t][2 + n], ctx + ": sums written past their end");
            for (int kk = 0; kk < n; kk++) {
                float own = k.dot(soft, off + kk * inner, w, wOff + kk * wStride, cols);
                assertEquals(Float.floatToRawIntBits(own), Float.floatToRawIntBits(sums[t][2 + kk]),
                        ctx + " " + k.name() + " class " + kk + ": the bits of the dot over its own softmax");
            }
        }
        for (int kk = 0; kk < n; kk++) {
            double want = 0, scale = 0;
            for (int j = 0; j < cols; j++) {
                double term = (double) p[0][off + kk * inner + j] * w[wOff + kk * wStride + j];
                want += term;
                scale += Math.abs(term);
            }
            for (int t = 0; t < 2; t++) {
                // the p of the twins differ within the softmax tolerance, hence the REL term
                assertClose(ctx + " " + twins[t].name() + " class " + kk, (float) want, sums[t][2 + kk], (sumTol(cols) + 4 * REL) * scale + ABS);
            }
        }
    }

    /**
     * A NaN or infinite logit (in a vector block or a tail column) makes the finiteness sum NaN; a
     * NaN or infinite weight leaves it 0 and makes its class's sum NaN or infinite, also where p
     * underflows to 0 (0 · ∞ is NaN), while the other classes' sums stay finite.
     */
    static void weightedSumNonFiniteCase(Kernels s, Kernels v, int n, int cols, int inner) {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, cols / 2, cols - 1}) {
                String what = "[n=" + n + ", cols=" + cols + ", inner=" + inner + "] " + bad + " at column " + at;
                Random rnd = new Random(what.hashCode());
                int off = 3;
                float[] x = new float[off + (n - 1) * inner + cols + 4];
                Arrays.fill(x, Float.NaN);
                for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) x[off + k * inner + j] = uniform(-10, 10).next(rnd);
                float[] w = weights(rnd, n, cols, 1, inner);
                for (Kernels k : new Kernels[] {s, v}) {
                    String ctx = k.name() + " softmaxWeightedSums " + what;
                    float[] p = new float[x.length], sums = new float[n];
                    float[] xb = x.clone();
                    xb[off + (n - 1) * inner + at] = bad;
                    assertTrue(Float.isNaN(k.softmaxWeightedSums(xb, off, n, inner, cols, p, off, w, 1, inner, sums, 0)), ctx + ": logits");
                    int cls = n - 1;
                    for (boolean underflow : new boolean[] {false, true}) {
                        float[] xu = x.clone();
                        // p of class cls underflows to exactly 0 at that column when its logit is 200 below the others
                        if (underflow && n > 1) xu[off + cls * inner + at] = -200f;
                        float[] wb = w.clone();
                        wb[1 + cls * inner + at] = bad;
                        assertEquals(0f, k.softmaxWeightedSums(xu, off, n, inner, cols, p, off, wb, 1, inner, sums, 0), ctx + ": weights only");
                        if (underflow && n > 1) assertEquals(0f, p[off + cls * inner + at], ctx + ": p underflows to 0");
                        assertTrue(!Float.isFinite(sums[cls]), ctx + (underflow ? " (p = 0)" : "") + ": the weight's class sum must be non-finite, got " + sums[cls]);
                        for (int kk = 0; kk < cls; kk++) assertTrue(Float.isFinite(sums[kk]), ctx + ": class " + kk + " stays finite");
                    }
                }
            }
        }
    }

    /**
     * softmaxWeightedSumsBackward: each implementation gives its own softmaxBackward on the row
     * gp = 0 + g_k w (made explicitly) bit for bit; the twins agree bit for bit over columns (the
     * same products and adds in the same order) and within a tolerance for one contiguous column
     * (inner 1: the vector row path's dot); both lie within a tolerance of the double formula;
     * nothing outside the columns is written.
     */
    static void weightedSumBackwardCase(Kernels s, Kernels v, int n, int cols, int inner, int wStride, boolean inPlace) {
        String ctx = v.name() + " softmaxWeightedSumsBackward [n=" + n + ", cols=" + cols + ", inner=" + inner + ", wStride=" + wStride + "]"
                + (inPlace ? " in place" : "");
        Random rnd = new Random(ctx.hashCode());
        int off = 3, len = off + (n - 1) * inner + cols + 2, wOff = 4;
        float[] logits = new float[len], pr = new float[len];
        Arrays.fill(logits, Float.NaN);
        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) logits[off + k * inner + j] = uniform(-6, 6).next(rnd);
        s.softmax(logits, off, n, inner, cols, pr, off);
        for (int i = 0; i < len; i++) if (Float.isNaN(logits[i])) pr[i] = Float.NaN;   // padding
        float[] w = weights(rnd, n, cols, wOff, wStride);
        float[] g = new float[1 + n];
        for (int k = 0; k < n; k++) g[1 + k] = uniform(-2, 2).next(rnd);
        g[1 + n / 2] = -1.25f;   // a negative g: -0 products where w is +0
        // gp in the logits' layout, as the general path builds it (fill 0, then triad)
        float[] gp = new float[len];
        for (int k = 0; k < n; k++) for (int j = 0; j < cols; j++) gp[off + k * inner + j] = 0f + g[1 + k] * w[wOff + k * wStride + j];
        float[][] res = new float[2][];
        Kernels[] twins = {s, v};
        for (int t = 0; t < 2; t++) {
            float[] y = pr.clone();
            res[t] = inPlace ? y : sentinel(len);
            twins[t].softmaxWeightedSumsBackward(y, off, n, inner, cols, w, wOff, wStride, g, 1, res[t], off);
            float[] own = sentinel(len);
            twins[t].softmaxBackward(pr, off, gp, off, n, inner, cols, own, off);
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < cols; j++) {
                    int i = off + k * inner + j;
                    assertEquals(Float.floatToRawIntBits(own[i]), Float.floatToRawIntBits(res[t][i]),
                            ctx + " " + twins[t].name() + " at (k=" + k + ", j=" + j + "): its softmaxBackward's bits");
                }
            }
        }
        for (int j = 0; j < cols; j++) {
            double d = 0, dAbs = 0;
            for (int k = 0; k < n; k++) {
                double q = pr[off + k * inner + j], gk = (double) g[1 + k] * w[wOff + k * wStride + j];
                d += q * gk;
                dAbs += Math.abs(q * gk);
            }
            for (int k = 0; k < n; k++) {
                int i = off + k * inner + j;
                double q = pr[i], gk = (double) g[1 + k] * w[wOff + k * wStride + j], want = q * (gk - d);
                for (int t = 0; t < 2; t++) {
                    assertClose(ctx + " " + twins[t].name() + " vs the formula at (k=" + k + ", j=" + j + ")", (float) want, res[t][i],
                            Math.abs(q) * (sumTol(n) + 4 * REL) * (Math.abs(gk) + dAbs) + ABS);
                }
            }
        }
        for (int i = 0; i < len; i++) {
            if (inner > 1) assertEquals(Float.floatToRawIntBits(res[0][i]), Float.floatToRawIntBits(res[1][i]), ctx + " twins at " + i);
            int kk = (i - off) / inner, j = (i - off) - kk * inner;
            boolean inRange = i >= off && kk < n && j < cols;
            if (!inRange) {
                float want = inPlace ? pr[i] : SENTINEL;
                for (int t = 0; t < 2; t++) {
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(res[t][i]), ctx + ": written outside the columns at " + i);
                }
            }
        }
    }

    @FunctionalInterface
    interface ReduceTol {
        double of(float[][] in, int off, int n);
    }

    static double sumAbs(float[] a, float[] b, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(a[off + i] * (b == null ? 1.0 : b[off + i]));
        return s + ABS;
    }

    static DynamicContainer reduction(Kernels v, String what, int arity, Reduce f, ReduceTol tol) {
        List<DynamicNode> tests = new ArrayList<>();
        for (int n : SIZES) {
            String name = v.name() + " " + what + " n=" + n;
            tests.add(dynamicTest(name, () -> {
                for (int off : new int[] {0, 5}) {
                    Random rnd = new Random(name.hashCode() + off);
                    float[][] in = new float[arity][];
                    for (int a = 0; a < arity; a++) {
                        in[a] = new float[off + n + 3 * off];
                        Arrays.fill(in[a], Float.NaN);
                        for (int i = 0; i < n; i++) in[a][off + i] = DEFAULT.next(rnd);
                    }
                    float s = f.run(KernelProvider.scalar(), in, off, n);
                    float r = f.run(v, in, off, n);
                    assertClose(name + " off=" + off, s, r, tol.of(in, off, n));
                }
            }));
        }
        return dynamicContainer(v.name() + " " + what, tests);
    }

    // ---- along an axis ------------------------------------------------------------------------------

    /** Per-element tolerance, built once per input (column statistics are precomputed). */
    @FunctionalInterface
    interface AxisTol {
        IntToDoubleFunction of(float[][] in, int off, int n, int inner, float[] expected, int outOff);
    }

    @FunctionalInterface
    interface AxisCall {
        void run(Kernels k, float[][] in, int off, int n, int inner, float[] out, int outOff);
    }

    /** Shapes [n, inner]: inner = 1 (a contiguous row), below / at / above the lane count, big. */
    static List<int[]> shapes(int lanes) {
        List<int[]> s = new ArrayList<>();
        for (int inner : new int[] {1, 2, 3, lanes - 1, lanes, lanes + 1, 2 * lanes + 3, 255, 1025}) {
            for (int n : new int[] {1, 2, 3, 4, 17}) s.add(new int[] {n, inner});
        }
        s.add(new int[] {65537, 1});
        s.add(new int[] {1, 65537});
        s.add(new int[] {4, 16387});
        s.add(new int[] {257, 255});
        s.add(new int[] {1025, 33});
        return s;
    }

    static List<DynamicNode> axisTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        Gen logits = uniform(-10, 10);
        // softmax(k, j) = e/S: e within REL, S within a sum tolerance, so a relative bound
        out.add(axis(v, "softmax", new Gen[] {logits}, false,
                (k, in, o, n, inner, r, ro) -> k.softmax(in[0], o, n, inner, r, ro),
                (in, o, n, inner, e, eo) -> i -> (REL + sumTol(n)) * Math.abs(e[eo + i]) + ABS));
        // logSoftmax = x - lse: absolute error of lse is REL * |lse| + (relative error of S)
        out.add(axis(v, "logSoftmax", new Gen[] {logits}, false,
                (k, in, o, n, inner, r, ro) -> k.logSoftmax(in[0], o, n, inner, r, ro),
                (in, o, n, inner, e, eo) ->
                        i -> 2 * REL * (Math.abs(in[0][o + i]) + Math.abs(e[eo + i])) + sumTol(n) + ABS));
        out.add(axis(v, "logSumExp", new Gen[] {logits}, true,
                (k, in, o, n, inner, r, ro) -> k.logSumExp(in[0], o, n, inner, r, ro),
                (in, o, n, inner, e, eo) -> i -> (REL + sumTol(n)) * (1 + Math.abs(e[eo + i]))));
        // out = y (g - d), d = sum_k g y: the error of d scales with sum_k |g y| of the column
        out.add(axis(v, "softmaxBackward", new Gen[] {uniform(0, 1), uniform(-1, 1)}, false,
                (k, in, o, n, inner, r, ro) -> k.softmaxBackward(in[0], o, in[1], o, n, inner, r, ro),
                (in, o, n, inner, e, eo) -> {
                    double[] col = columnAbsSums(in[1], in[0], o, n, inner);
                    return i -> REL * Math.abs(e[eo + i])
                            + Math.abs(in[0][o + i]) * (sumTol(n) * col[i % inner] + REL) + ABS;
                }));
        // out = g - exp(y) gs, gs = sum_k g
        out.add(axis(v, "logSoftmaxBackward", new Gen[] {uniform(-10, 0), uniform(-1, 1)}, false,
                (k, in, o, n, inner, r, ro) -> k.logSoftmaxBackward(in[0], o, in[1], o, n, inner, r, ro),
                (in, o, n, inner, e, eo) -> {
                    double[] col = columnAbsSums(in[1], null, o, n, inner);
                    return i -> {
                        double ey = Math.exp(in[0][o + i]);
                        return 2 * REL * (Math.abs(in[1][o + i]) + ey * col[i % inner])
                                + ey * sumTol(n) * col[i % inner] + ABS;
                    };
                }));
        return out;
    }

    /** sum_k |a(k, j) b(k, j)| per column j (b null: sum_k |a(k, j)|). */
    static double[] columnAbsSums(float[] a, float[] b, int off, int n, int inner) {
        double[] s = new double[inner];
        for (int k = 0; k < n; k++) {
            for (int j = 0; j < inner; j++) {
                int i = off + k * inner + j;
                s[j] += Math.abs(a[i] * (b == null ? 1.0 : b[i]));
            }
        }
        return s;
    }

    static DynamicContainer axis(Kernels v, String what, Gen[] gens, boolean reducesAxis,
                                 AxisCall call, AxisTol tol) {
        List<DynamicNode> tests = new ArrayList<>();
        for (int[] shape : shapes(v.lanes())) {
            int n = shape[0], inner = shape[1];
            String name = v.name() + " " + what + " [n=" + n + ", inner=" + inner + "]";
            tests.add(dynamicTest(name, () -> {
                for (Layout l : LAYOUTS) {
                    if (l.alias && reducesAxis) continue;   // out [inner] cannot alias x [n, inner]
                    String ctx = name + " [" + l + "]";
                    Random rnd = new Random(ctx.hashCode());
                    float[][] in = new float[gens.length][];
                    for (int a = 0; a < gens.length; a++) {
                        in[a] = new float[l.inOff + n * inner + l.pad];
                        Arrays.fill(in[a], Float.NaN);
                        for (int i = 0; i < n * inner; i++) in[a][l.inOff + i] = gens[a].next(rnd);
                    }
                    runAxis(v, ctx, in, n, inner, l, reducesAxis, call, tol);
                }
            }));
        }
        return dynamicContainer(v.name() + " " + what, tests);
    }

    static void runAxis(Kernels v, String ctx, float[][] in, int n, int inner, Layout l,
                        boolean reducesAxis, AxisCall call, AxisTol tol) {
        int len = reducesAxis ? inner : n * inner;
        float[][] res = new float[2][];
        Kernels[] twins = {KernelProvider.scalar(), v};
        for (int t = 0; t < 2; t++) {
            float[][] copy = new float[in.length][];
            for (int a = 0; a < in.length; a++) copy[a] = in[a].clone();
            res[t] = l.alias ? copy[0] : sentinel(l.outOff + len + l.pad);
            call.run(twins[t], copy, l.inOff, n, inner, res[t], l.alias ? l.inOff : l.outOff);
        }
        int outOff = l.alias ? l.inOff : l.outOff;
        assertUntouched(ctx, l.alias ? in[0] : sentinel(res[1].length), res[1], outOff, len);
        IntToDoubleFunction bound = tol.of(in, l.inOff, n, inner, res[0], outOff);
        for (int i = 0; i < len; i++) {
            assertClose(ctx + " at (k=" + i / inner + ", j=" + i % inner + ")", res[0][outOff + i],
                    res[1][outOff + i], bound.applyAsDouble(i));
        }
    }

    // ---- gemm (it only delegates to VectorGemm for now: a small smoke grid) -------------------------

    static List<DynamicNode> gemmTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        int[] dims = {1, 3, 17, 33};
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (float beta : new float[] {0f, 1f}) {
                    String name = v.name() + " gemm(" + (ta ? "T" : "N") + (tb ? "T" : "N") + ", beta=" + beta + ")";
                    out.add(dynamicTest(name, () -> {
                        for (int m : dims) for (int n : dims) for (int k : dims) {
                            gemmCase(v, name + " m=" + m + " n=" + n + " k=" + k, ta, tb, m, n, k, beta);
                        }
                    }));
                }
            }
        }
        return out;
    }

    static void gemmCase(Kernels v, String ctx, boolean ta, boolean tb, int m, int n, int k, float beta) {
        Random rnd = new Random(ctx.hashCode());
        // stored shapes and padded leading dimensions, with an offset into each array
        int aRows = ta ? k : m, aCols = ta ? m : k, lda = aCols + 2;
        int bRows = tb ? n : k, bCols = tb ? k : n, ldb = bCols + 1;
        int ldc = n + 3, aOff = 4, bOff = 1, cOff = 2;
        float[] a = randomArray(rnd, aOff + aRows * lda);
        float[] b = randomArray(rnd, bOff + bRows * ldb);
        float[] c0 = randomArray(rnd, cOff + m * ldc + 5);
        if (beta == 0f) {
            // beta 0 must overwrite C without reading it: NaN there must not leak
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c0[cOff + i * ldc + j] = Float.NaN;
        }
        float[] cs = c0.clone(), cv = c0.clone();
        KernelProvider.scalar().gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, beta, cs, cOff, ldc);
        v.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, beta, cv, cOff, ldc);
        for (int idx = 0; idx < c0.length; idx++) {
            int r = idx - cOff;
            boolean inside = r >= 0 && r / ldc < m && r % ldc < n;
            if (!inside) {
                assertEquals(Float.floatToRawIntBits(c0[idx]), Float.floatToRawIntBits(cv[idx]),
                        ctx + ": wrote outside C at index " + idx);
                continue;
            }
            int i = r / ldc, j = r % ldc;
            double scale = beta == 0f ? 0 : Math.abs(c0[idx]);
            for (int p = 0; p < k; p++) {
                float av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                float bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                scale += Math.abs(av * bv);
            }
            assertClose(ctx + " at C(" + i + ", " + j + ")", cs[idx], cv[idx],
                    sumTol(k + 1) * scale + ABS);
        }
    }

    static float[] randomArray(Random rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = DEFAULT.next(rnd);
        return x;
    }

    // ---- special values -----------------------------------------------------------------------------

    static final float[] SPECIAL = {
        Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
        -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 0.5f,
        100f, -100f, 88.7f, -88.7f, 1e-20f, -1e-20f, 1e30f, -1e30f, -0.999f, 2f, -2f,
    };

    /** The special values, cycled to n elements with a shifting phase so each meets every lane. */
    static float[] specials(int n, int phase) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = SPECIAL[(i + phase) % SPECIAL.length];
        return x;
    }

    static List<DynamicNode> specialTests(Kernels v) {
        List<DynamicNode> out = new ArrayList<>();
        Kernels s = KernelProvider.scalar();
        int n = 4 * v.lanes() + SPECIAL.length + 3;

        for (Unary op : Unary.values()) {
            out.add(dynamicTest(v.name() + " map(" + op + ") special values", () -> {
                for (int phase = 0; phase < SPECIAL.length; phase += 5) {
                    float[] x = specials(n, phase), rs = new float[n], rv = new float[n];
                    s.map(op, x, 0, rs, 0, n);
                    v.map(op, x, 0, rv, 0, n);
                    for (int i = 0; i < n; i++) {
                        assertClose(v.name() + " map(" + op + ") of " + x[i], rs[i], rv[i],
                                REL * Math.abs(rs[i]) + ABS);
                    }
                }
            }));
        }
        out.add(dynamicTest(v.name() + " SIGMOID at +-100 and +-1000: 0 and 1, never NaN", () -> {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = new float[] {-100f, 100f, -1000f, 1000f}[i % 4];
            float[] r = new float[n];
            v.map(Unary.SIGMOID, x, 0, r, 0, n);
            for (int i = 0; i < n; i++) {
                String ctx = v.name() + " sigmoid(" + x[i] + ") at i=" + i + " = " + r[i];
                if (x[i] > 0) assertEquals(1f, r[i], ctx);
                else assertTrue(r[i] >= 0f && r[i] < 1e-40f, ctx);
            }
        }));
        out.add(dynamicTest(v.name() + " SIGN and RELU of NaN are 0", () -> {
            float[] x = new float[n], r = new float[n];
            Arrays.fill(x, Float.NaN);
            for (Unary op : new Unary[] {Unary.SIGN, Unary.RELU}) {
                v.map(op, x, 0, r, 0, n);
                for (int i = 0; i < n; i++) assertEquals(0f, r[i], v.name() + " " + op + "(NaN) at i=" + i);
            }
        }));
        // MIN / MAX must be bit-identical to Math.min / Math.max: NaN wins, -0 < +0
        for (Binary op : new Binary[] {Binary.MIN, Binary.MAX}) {
            out.add(dynamicTest(v.name() + " zip(" + op + ") NaN and signed zeros, bit-exact", () -> {
                float[] a = specials(n, 0), b = specials(n, 7), rs = new float[n], rv = new float[n];
                s.zip(op, a, 0, b, 0, rs, 0, n);
                v.zip(op, a, 0, b, 0, rv, 0, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToIntBits(rs[i]), Float.floatToIntBits(rv[i]),
                            v.name() + " " + op + "(" + a[i] + ", " + b[i] + "): scalar " + rs[i] + ", vector " + rv[i]);
                }
            }));
        }
        out.add(dynamicTest(v.name() + " max/min propagate a NaN at any position", () -> {
            for (int size : SIZES) {
                for (int at = 0; at < size; at += Math.max(1, size / 37)) {
                    float[] x = randomArray(new Random(size * 131L + at), size);
                    x[at] = Float.NaN;
                    String ctx = v.name() + " n=" + size + " NaN at " + at;
                    assertTrue(Float.isNaN(v.max(x, 0, size)), "max " + ctx);
                    assertTrue(Float.isNaN(v.min(x, 0, size)), "min " + ctx);
                }
            }
        }));
        out.add(dynamicTest(v.name() + " max/min of empty and of signed zeros", () -> {
            assertEquals(Float.NEGATIVE_INFINITY, v.max(new float[0], 0, 0));
            assertEquals(Float.POSITIVE_INFINITY, v.min(new float[0], 0, 0));
            float[] z = new float[n];
            for (int i = 0; i < n; i++) z[i] = i % 3 == 0 ? 0f : -0f;
            assertEquals(Float.floatToIntBits(s.max(z, 0, n)), Float.floatToIntBits(v.max(z, 0, n)), "max of +-0");
            assertEquals(Float.floatToIntBits(s.min(z, 0, n)), Float.floatToIntBits(v.min(z, 0, n)), "min of +-0");
        }));
        out.add(dynamicTest(v.name() + " logSumExp of all -Infinity is -Infinity", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                float[] x = new float[rows * inner];
                Arrays.fill(x, Float.NEGATIVE_INFINITY);
                // every other column finite in one row, so -inf columns sit among finite ones
                if (rows > 1) for (int j = 1; j < inner; j += 2) x[inner + j] = 1.5f;
                float[] rs = new float[inner], rv = new float[inner];
                s.logSumExp(x, 0, rows, inner, rs, 0);
                v.logSumExp(x, 0, rows, inner, rv, 0);
                for (int j = 0; j < inner; j++) {
                    String ctx = v.name() + " logSumExp [n=" + rows + ", inner=" + inner + "] at j=" + j;
                    assertClose(ctx, rs[j], rv[j], REL * Math.abs(rs[j]) + ABS);
                    if (rows == 1 || j % 2 == 0) assertEquals(Float.NEGATIVE_INFINITY, rv[j], ctx);
                }
            }
        }));
        // the squared-error kernels give, in each implementation, the bits of the passes they fuse
        out.add(dynamicTest(v.name() + " sumSquaredErrorWhereEqual and addSquaredErrorGradient are their composed passes", () -> {
            for (int len : new int[] {0, 1, 15, 16, 17, 100, 2049}) {
                Random rnd = new Random(len + 11L);
                float[] p = new float[len], g = new float[len], src = new float[len];
                for (int i = 0; i < len; i++) {
                    p[i] = uniform(0, 1).next(rnd);
                    g[i] = DEFAULT.next(rnd);
                    src[i] = uniform(-1, 1).next(rnd);
                }
                int[] lab = labels(src);
                for (Kernels k : new Kernels[] {s, v}) {
                    float[] t = new float[len], u = new float[len], composed = g.clone(), fused = g.clone();
                    k.zipScalarLeft(Binary.SUB, 1f, p, 0, t, 0, len);
                    k.zip(Binary.MUL, t, 0, t, 0, u, 0, len);
                    assertEquals(Float.floatToIntBits(k.sumWhereEqual(lab, 0, 2, u, 0, len)),
                            Float.floatToIntBits(k.sumSquaredErrorWhereEqual(lab, 0, 2, p, 0, len)), k.name() + " sum len=" + len);
                    k.zipScalarRight(Binary.MUL, t, 0, 0.5f, t, 0, len);
                    k.zipScalarRight(Binary.MUL, p, 0, -1.5f, u, 0, len);
                    k.selectWhereEqual(lab, 0, 1, t, 0, u, 0, u, 0, len);
                    k.zip(Binary.ADD, composed, 0, u, 0, composed, 0, len);
                    k.addSquaredErrorGradient(lab, 0, 1, 0.5f, -1.5f, p, 0, fused, 0, len);
                    for (int i = 0; i < len; i++) {
                        assertEquals(Float.floatToIntBits(composed[i]), Float.floatToIntBits(fused[i]), k.name() + " gradient len=" + len + " at " + i);
                    }
                }
            }
        }));
        // softmaxAndLogSum: in each implementation, its softmax and (x - m) - log s are that
        // implementation's softmax and logSoftmax bit for bit; across the twins, the usual tolerances
        out.add(dynamicTest(v.name() + " softmaxAndLogSum is softmax and logSoftmax from one exponential", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                for (int cols : new int[] {inner, Math.max(1, inner - 3)}) {
                    if (inner == 1 && cols != 1) continue;
                    Random rnd = new Random(rows * 31L + inner * 7L + cols);
                    int off = 5;
                    float[] x = new float[off + rows * inner];
                    for (int i = 0; i < x.length; i++) x[i] = uniform(-10, 10).next(rnd);
                    for (Kernels k : new Kernels[] {s, v}) {
                        float[] p = new float[off + rows * inner], stats = new float[3 + 2 * cols];
                        float[] soft = new float[off + rows * inner], logSoft = new float[off + rows * inner];
                        k.softmaxAndLogSum(x, off, rows, inner, cols, p, off, stats, 3);
                        k.softmax(x, off, rows, inner, cols, soft, off);
                        k.logSoftmax(x, off, rows, inner, cols, logSoft, off);
                        for (int r = 0; r < rows; r++) {
                            for (int j = 0; j < cols; j++) {
                                int i = off + r * inner + j;
                                String ctx = k.name() + " softmaxAndLogSum [n=" + rows + ", inner=" + inner + ", cols=" + cols
                                        + "] at (k=" + r + ", j=" + j + ")";
                                assertEquals(Float.floatToIntBits(soft[i]), Float.floatToIntBits(p[i]), ctx + ": the softmax");
                                float lp = (x[i] - stats[3 + j]) - stats[3 + cols + j];
                                assertEquals(Float.floatToIntBits(logSoft[i]), Float.floatToIntBits(lp), ctx + ": (x - m) - log s");
                            }
                        }
                    }
                    float[] ps = new float[x.length], pv = new float[x.length], ss = new float[2 * cols], sv = new float[2 * cols];
                    s.softmaxAndLogSum(x, off, rows, inner, cols, ps, off, ss, 0);
                    v.softmaxAndLogSum(x, off, rows, inner, cols, pv, off, sv, 0);
                    for (int j = 0; j < cols; j++) {
                        String ctx = v.name() + " softmaxAndLogSum twins [n=" + rows + ", inner=" + inner + "] at j=" + j;
                        assertEquals(ss[j], sv[j], ctx + ": m is exact");
                        assertClose(ctx + ": log s", ss[cols + j], sv[cols + j], REL * Math.abs(ss[cols + j]) + sumTol(rows) + ABS);
                        for (int r = 0; r < rows; r++) {
                            int i = off + r * inner + j;
                            assertClose(ctx + " p", ps[i], pv[i], (REL + sumTol(rows)) * Math.abs(ps[i]) + ABS);
                        }
                    }
                }
            }
        }));
        // map(LOG) on a vector of positive normal floats (the short path, used for softmax sums)
        // gives the bits of the full path, which a 0, subnormal, +∞ or NaN lane in the same vector forces
        out.add(dynamicTest(v.name() + " log of all-normal lanes: the bits of the special-case path", () -> {
            int lanes = v.lanes();
            Random rnd = new Random(97);
            float[] odd = {0f, Float.MIN_VALUE, 1e-40f, Float.POSITIVE_INFINITY, Float.NaN, -1f};
            for (int trial = 0; trial < 4000; trial++) {
                float[] x = new float[lanes];
                for (int i = 0; i < lanes; i++) {
                    // any positive normal float: random exponent and mantissa, and the ends of the range
                    int bits = (1 + rnd.nextInt(254)) << 23 | rnd.nextInt(1 << 23);
                    x[i] = trial == 0 ? Float.MIN_NORMAL : trial == 1 ? Float.MAX_VALUE : Float.intBitsToFloat(bits);
                }
                float[] fast = new float[lanes], full = new float[lanes], mixed = x.clone();
                mixed[trial % lanes] = odd[trial % odd.length];
                v.map(Unary.LOG, x, 0, fast, 0, lanes);
                v.map(Unary.LOG, mixed, 0, full, 0, lanes);
                for (int i = 0; i < lanes; i++) {
                    if (i == trial % lanes) continue;
                    assertEquals(Float.floatToIntBits(fast[i]), Float.floatToIntBits(full[i]), v.name() + " log(" + x[i] + ")");
                }
            }
        }));
        // sumLogSoftmaxPerClass: in each implementation the bits of its n sumLogSoftmaxWhereEqual
        // calls (label k, or none for the ignored class), for class counts around the vector path's
        // n = 4, awkward column counts, strided rows, labels that match no class, and a NaN or ±∞
        // logit in the first, a middle or the last row (that class's result NaN, the others not)
        out.add(dynamicTest(v.name() + " sumLogSoftmaxPerClass is sumLogSoftmaxWhereEqual per class", () -> {
            for (int classes : new int[] {1, 2, 3, 4, 5}) {
                for (int cols : new int[] {1, 2, 15, 16, 17, 33, 2049}) {
                    for (int inner : new int[] {cols, cols + 3}) {
                        for (int ignore : new int[] {-1, 0, 2, 255}) {
                            Random rnd = new Random(classes * 1009L + cols * 31L + inner * 7L + ignore);
                            int off = 3, lo = 2, so = 5;
                            float[] x = new float[off + (classes - 1) * inner + cols + 2], stats = new float[so + 2 * cols];
                            for (int i = 0; i < x.length; i++) x[i] = uniform(-10, 10).next(rnd);
                            softmaxStats(rnd, stats, so, cols);
                            int[] lab = new int[lo + cols];
                            for (int j = 0; j < lab.length; j++) {
                                int r = rnd.nextInt(classes + 4);
                                lab[j] = r < classes ? r : r == classes ? -1 : r == classes + 1 ? 255 : r == classes + 2 ? Integer.MIN_VALUE : 2;
                            }
                            for (Kernels k : new Kernels[] {s, v}) {
                                String ctx = k.name() + " sumLogSoftmaxPerClass [classes=" + classes + ", cols=" + cols + ", inner=" + inner
                                        + ", ignore=" + ignore + "]";
                                for (int badRow : new int[] {-1, 0, classes / 2, classes - 1}) {
                                    float[] xb = x.clone();
                                    if (badRow >= 0) xb[off + badRow * inner + (cols - 1) / 2] = badRow == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
                                    float[] got = new float[classes + 3];
                                    java.util.Arrays.fill(got, 7f);
                                    k.sumLogSoftmaxPerClass(lab, lo, ignore, xb, off, classes, inner, stats, so, so + cols, cols, got, 1);
                                    assertEquals(Float.floatToIntBits(7f), Float.floatToIntBits(got[0]), ctx + ": written before out");
                                    for (int c = 0; c < classes; c++) {
                                        float want = k.sumLogSoftmaxWhereEqual(lab, lo, c == ignore ? Integer.MIN_VALUE : c, xb, off + c * inner,
                                                stats, so, so + cols, cols);
                                        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[1 + c]),
                                                ctx + " class " + c + (badRow >= 0 ? ", a bad logit in row " + badRow : ""));
                                        if (c == badRow) assertTrue(Float.isNaN(got[1 + c]), ctx + ": row " + c + " has a bad logit");
                                    }
                                    for (int i = classes + 1; i < got.length; i++) {
                                        assertEquals(Float.floatToIntBits(7f), Float.floatToIntBits(got[i]), ctx + ": written after out");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }));
        // sumLogSoftmaxWhereEqual: in each implementation, sumWhereEqual over the written-out row
        // (x - m) - log s bit for bit; NaN exactly when a logit of the row is NaN or ±∞ (labelled or
        // not); -∞, not NaN, when finite logits overflow x - m; twins within a sum's tolerance
        out.add(dynamicTest(v.name() + " sumLogSoftmaxWhereEqual is sumWhereEqual over (x - m) - log s, NaN at a bad logit", () -> {
            for (int len : new int[] {0, 1, 15, 16, 17, 33, 100, 2049}) {
                Random rnd = new Random(len * 17L + 3);
                int off = 3;
                float[] x = new float[off + len], stats = new float[5 + 2 * len], src = new float[off + len];
                for (int i = 0; i < x.length; i++) {
                    x[i] = uniform(-10, 10).next(rnd);
                    src[i] = uniform(-1, 1).next(rnd);
                }
                for (int i = 0; i < len; i++) {
                    stats[5 + i] = uniform(-1, 12).next(rnd);             // m
                    stats[5 + len + i] = uniform(0, 3).next(rnd);         // log s
                }
                int[] lab = labels(src);
                float[] pick = new float[2];
                Kernels[] both = {s, v};
                for (int q = 0; q < 2; q++) {
                    Kernels k = both[q];
                    float[] row = new float[len];
                    k.zip(Binary.SUB, x, off, stats, 5, row, 0, len);
                    k.zip(Binary.SUB, row, 0, stats, 5 + len, row, 0, len);
                    for (int label : new int[] {0, 2, 255, Integer.MIN_VALUE}) {
                        float fused = k.sumLogSoftmaxWhereEqual(lab, off, label, x, off, stats, 5, 5 + len, len);
                        assertEquals(Float.floatToIntBits(k.sumWhereEqual(lab, off, label, row, 0, len)), Float.floatToIntBits(fused),
                                k.name() + " len=" + len + " label=" + label);
                        if (label == 2) pick[q] = fused;
                    }
                    for (int at : new int[] {0, len / 2, len - 1}) {
                        if (len == 0) continue;
                        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                            float[] xb = x.clone();
                            xb[off + at] = bad;
                            for (int label : new int[] {0, 2, 255}) {
                                float r = k.sumLogSoftmaxWhereEqual(lab, off, label, xb, off, stats, 5, 5 + len, len);
                                assertTrue(Float.isNaN(r), k.name() + " len=" + len + ": " + bad + " at " + at + ", label " + label + " gave " + r);
                            }
                        }
                    }
                }
                double tol = sumTol(len) * (sumAbs(x, null, off, len) + 15.0 * len) + ABS;
                assertClose(v.name() + " sumLogSoftmaxWhereEqual twins len=" + len, pick[0], pick[1], tol);
            }
            for (Kernels k : new Kernels[] {s, v}) {
                // finite logits, x - m overflowing to -∞: the sum is -∞ (the loss is infinite), not a NaN
                int len = 2 * v.lanes() + 1;
                float[] x = new float[len], stats = new float[2 * len];
                int[] lab = new int[len];
                java.util.Arrays.fill(x, -3e38f);
                java.util.Arrays.fill(stats, 0, len, 3e38f);
                assertEquals(Float.NEGATIVE_INFINITY, k.sumLogSoftmaxWhereEqual(lab, 0, 0, x, 0, stats, 0, len, len), k.name() + " overflow");
            }
        }));
        // crossEntropyGradient: p a - [y = k] a, a = w[y] (0 where y is no class), as written out in
        // float arithmetic, bit for bit in each implementation (so the twins agree exactly), in place too
        out.add(dynamicTest(v.name() + " crossEntropyGradient is p·a − [y = k]·a bit for bit", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                if ((long) rows * inner > 1 << 17) continue;
                for (int cols : new int[] {inner, Math.max(1, inner - 3)}) {
                    if (inner == 1 && cols != 1) continue;
                    Random rnd = new Random(rows * 37L + inner * 5L + cols);
                    int off = 4, lo = 2;
                    float[] p = new float[off + rows * inner];
                    for (int i = 0; i < p.length; i++) p[i] = uniform(0, 1).next(rnd);
                    int[] lab = new int[lo + cols];
                    for (int j = 0; j < lab.length; j++) {
                        int r = rnd.nextInt(rows + 3);
                        lab[j] = r < rows ? r : r == rows ? -1 : r == rows + 1 ? 255 : Integer.MIN_VALUE;
                    }
                    float[] w = new float[rows];
                    for (int c = 0; c < rows; c++) w[c] = c == 1 ? 0f : uniform(0.1, 3).next(rnd);
                    float[] expect = p.clone();
                    for (int j = 0; j < cols; j++) {
                        int y = lab[lo + j];
                        float a = y >= 0 && y < rows ? w[y] : 0f;
                        for (int c = 0; c < rows; c++) {
                            float t = p[off + c * inner + j] * a;
                            expect[off + c * inner + j] = c == y ? t - a : t;
                        }
                    }
                    for (Kernels k : new Kernels[] {s, v}) {
                        float[] outOf = p.clone(), inPlace = p.clone();
                        k.crossEntropyGradient(p, off, rows, inner, cols, lab, lo, w, outOf, off);
                        k.crossEntropyGradient(inPlace, off, rows, inner, cols, lab, lo, w, inPlace, off);
                        for (int i = 0; i < p.length; i++) {
                            String ctx = k.name() + " crossEntropyGradient [n=" + rows + ", inner=" + inner + ", cols=" + cols + "] at " + i;
                            assertEquals(Float.floatToIntBits(expect[i]), Float.floatToIntBits(outOf[i]), ctx);
                            assertEquals(Float.floatToIntBits(expect[i]), Float.floatToIntBits(inPlace[i]), ctx + " (in place)");
                        }
                    }
                }
            }
        }));
        // pickLogSoftmax: the label's (x - m) - log s and coefficient, 0 and 0 where the label is no
        // class or its coefficient is 0, as written out in float arithmetic, bit for bit in each
        // implementation; NaN exactly when a logit of the columns (labelled or not) is NaN or ±∞
        out.add(dynamicTest(v.name() + " pickLogSoftmax picks (x - m) - log s and the coefficient at the label", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                if ((long) rows * inner > 1 << 17) continue;
                for (int cols : new int[] {inner, Math.max(1, inner - 3)}) {
                    if (inner == 1 && cols != 1) continue;
                    Random rnd = new Random(rows * 41L + inner * 7L + cols);
                    int off = 3, lo = 2, so = 5;
                    float[] x = new float[off + rows * inner], stats = new float[so + 2 * cols];
                    for (int i = 0; i < x.length; i++) x[i] = uniform(-10, 10).next(rnd);
                    softmaxStats(rnd, stats, so, cols);
                    int[] lab = new int[lo + cols];
                    for (int j = 0; j < lab.length; j++) {
                        int r = rnd.nextInt(rows + 3);
                        lab[j] = r < rows ? r : r == rows ? -1 : r == rows + 1 ? 255 : Integer.MIN_VALUE;
                    }
                    float[] coef = new float[rows];
                    // class 1 skipped by a 0 coefficient, class 2 by a -0 (picks nothing: w +0 there too)
                    for (int c = 0; c < rows; c++) coef[c] = c == 1 ? 0f : c == 2 ? -0f : uniform(0.1, 3).next(rnd);
                    float[] lpWant = new float[2 + cols], wWant = new float[1 + cols];
                    java.util.Arrays.fill(lpWant, 7f);
                    java.util.Arrays.fill(wWant, 7f);
                    for (int j = 0; j < cols; j++) {
                        int y = lab[lo + j];
                        boolean picked = y >= 0 && y < rows && coef[y] != 0f;
                        lpWant[2 + j] = picked ? (x[off + y * inner + j] - stats[so + j]) - stats[so + cols + j] : 0f;
                        wWant[1 + j] = picked ? coef[y] : 0f;
                    }
                    for (Kernels k : new Kernels[] {s, v}) {
                        String ctx = k.name() + " pickLogSoftmax [n=" + rows + ", inner=" + inner + ", cols=" + cols + "]";
                        float[] lp = new float[2 + cols], w = new float[1 + cols];
                        java.util.Arrays.fill(lp, 7f);
                        java.util.Arrays.fill(w, 7f);
                        float finite = k.pickLogSoftmax(x, off, rows, inner, cols, stats, so, so + cols, lab, lo, coef, lp, 2, w, 1);
                        assertEquals(0f, finite, ctx + ": finite logits");
                        for (int j = 0; j < lp.length; j++) assertEquals(Float.floatToIntBits(lpWant[j]), Float.floatToIntBits(lp[j]), ctx + " lp at " + j);
                        for (int j = 0; j < w.length; j++) assertEquals(Float.floatToIntBits(wWant[j]), Float.floatToIntBits(w[j]), ctx + " w at " + j);
                        for (int at : new int[] {0, cols / 2, cols - 1}) {
                            for (int row : new int[] {0, rows - 1}) {
                                float[] xb = x.clone();
                                xb[off + row * inner + at] = at % 2 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
                                float r = k.pickLogSoftmax(xb, off, rows, inner, cols, stats, so, so + cols, lab, lo, coef, lp, 2, w, 1);
                                assertTrue(Float.isNaN(r), ctx + ": a bad logit at row " + row + ", column " + at + " gave " + r);
                            }
                        }
                    }
                }
            }
        }));
        // expLogTerm: in each implementation the bits of the kernels it stands for, called one
        // after another (map NEG, clamp, pow, dot, zip DIV, zip MUL, scalar MUL, clampGrad), with
        // and without the slope; lp above and below the clamp, 0 coefficients, a NaN
        out.add(dynamicTest(v.name() + " expLogTerm gives the bits of the kernels it fuses", () -> {
            for (int len : SIZES) {
                if (len > 4097) continue;
                for (float gamma : new float[] {0.3f, 1f, 2f, 1.7f}) {
                    Random rnd = new Random(len * 47L + Float.floatToIntBits(gamma));
                    int lo = 3, wo = 1, fo = 2, so = 5;
                    float minLog = 1e-3f;
                    float[] lp = new float[lo + len], w = new float[wo + len];
                    for (int j = 0; j < len; j++) {
                        int kind = rnd.nextInt(8);
                        lp[lo + j] = kind == 0 ? 0f : kind == 1 ? -minLog : kind == 2 ? -minLog / 3 : uniform(-20, 0).next(rnd);
                        w[wo + j] = rnd.nextInt(5) == 0 ? 0f : uniform(0.1, 3).next(rnd);
                    }
                    if (len > 5) lp[lo + len / 2] = Float.NaN;
                    for (Kernels k : new Kernels[] {s, v}) {
                        String ctx = k.name() + " expLogTerm [len=" + len + ", gamma=" + gamma + "]";
                        // the composition
                        float[] nl = new float[len], h = new float[len], f = new float[len], d = new float[len], slopeWant = new float[so + len];
                        k.map(Unary.NEG, lp, lo, nl, 0, len);
                        k.clamp(nl, 0, minLog, Float.POSITIVE_INFINITY, h, 0, len);
                        if (gamma == 1f) System.arraycopy(h, 0, f, 0, len);
                        else k.pow(h, 0, gamma, f, 0, len);
                        float sumWant = k.dot(f, 0, w, wo, len);
                        if (gamma == 1f) {
                            k.clampGrad(w, wo, nl, 0, minLog, Float.POSITIVE_INFINITY, slopeWant, so, len);
                        } else {
                            k.zip(Binary.DIV, f, 0, h, 0, d, 0, len);
                            k.zip(Binary.MUL, w, wo, d, 0, d, 0, len);
                            k.zipScalarRight(Binary.MUL, d, 0, gamma, d, 0, len);
                            k.clampGrad(d, 0, nl, 0, minLog, Float.POSITIVE_INFINITY, slopeWant, so, len);
                        }
                        for (boolean withSlope : new boolean[] {true, false}) {
                            float[] fGot = new float[fo + len], slope = new float[so + len];
                            java.util.Arrays.fill(slope, 7f);
                            float sum = k.expLogTerm(lp, lo, w, wo, gamma, minLog, fGot, fo, withSlope ? slope : null, so, len);
                            assertEquals(Float.floatToIntBits(sumWant), Float.floatToIntBits(sum), ctx + " sum, slope " + withSlope);
                            for (int j = 0; j < len; j++) {
                                assertEquals(Float.floatToIntBits(f[j]), Float.floatToIntBits(fGot[fo + j]), ctx + " f at " + j);
                                float want = withSlope ? slopeWant[so + j] : 7f;
                                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(slope[so + j]), ctx + " slope at " + j + ", slope " + withSlope);
                            }
                            for (int j = 0; j < so; j++) assertEquals(7f, slope[j], ctx + ": nothing written before slopeOff");
                        }
                    }
                }
            }
        }));
        // focalTerm: in each implementation the bits of the kernels it stands for, called one after
        // another as SoftmaxFocal called them (map EXP, scalar SUB, clamp, pow; clamp, pow, scalar
        // MUL, clampGrad, zip MUL, MUL, SUB, MUL, scalar MUL; zip MUL, dot), with and without the
        // coefficient; q below the floor, near 1 and exactly 1, 0 coefficients, a NaN
        out.add(dynamicTest(v.name() + " focalTerm gives the bits of the kernels it fuses", () -> {
            for (int len : SIZES) {
                if (len > 4097) continue;
                for (float gamma : new float[] {2f, 0f, 0.5f, 1f, 3.3f}) {
                    Random rnd = new Random(len * 53L + Float.floatToIntBits(gamma));
                    int lo = 3, wo = 1, ao = 2;
                    float floor = 1e-4f, scale = 0.37f;
                    float[] lp0 = new float[lo + len], w = new float[wo + len];
                    for (int j = 0; j < len; j++) {
                        int kind = rnd.nextInt(8);
                        // lp 0 (p = 1, q = 0 below the floor), -1e-5 (q below the floor), -floor, -20 (q near 1)
                        lp0[lo + j] = kind == 0 ? 0f : kind == 1 ? -1e-5f : kind == 2 ? -floor : kind == 3 ? -20f : uniform(-12, 0).next(rnd);
                        w[wo + j] = rnd.nextInt(5) == 0 ? 0f : uniform(0.1, 3).next(rnd);
                    }
                    if (len > 5) lp0[lo + len / 2] = Float.NaN;
                    for (Kernels k : new Kernels[] {s, v}) {
                        String ctx = k.name() + " focalTerm [len=" + len + ", gamma=" + gamma + "]";
                        // the composition
                        float[] lpWant = lp0.clone(), e = new float[len], q = new float[len], f = new float[len], dq = new float[len];
                        float[] aWant = new float[ao + len];
                        if (gamma != 0f) {
                            k.map(Unary.EXP, lpWant, lo, e, 0, len);
                            k.zipScalarLeft(Binary.SUB, 1f, e, 0, q, 0, len);
                            k.clamp(q, 0, floor, 1f, f, 0, len);
                            k.pow(f, 0, gamma, f, 0, len);
                            k.clamp(q, 0, floor, 1f, dq, 0, len);
                            k.pow(dq, 0, gamma - 1f, dq, 0, len);
                            k.zipScalarRight(Binary.MUL, dq, 0, gamma, dq, 0, len);
                            k.clampGrad(dq, 0, q, 0, floor, 1f, dq, 0, len);
                            k.zip(Binary.MUL, lpWant, lo, dq, 0, aWant, ao, len);
                            k.zip(Binary.MUL, aWant, ao, e, 0, aWant, ao, len);
                            k.zip(Binary.SUB, aWant, ao, f, 0, aWant, ao, len);
                        } else {
                            k.fill(aWant, ao, len, -1f);
                        }
                        k.zip(Binary.MUL, aWant, ao, w, wo, aWant, ao, len);
                        k.zipScalarRight(Binary.MUL, aWant, ao, -scale, aWant, ao, len);
                        if (gamma != 0f) k.zip(Binary.MUL, lpWant, lo, f, 0, lpWant, lo, len);
                        float sumWant = k.dot(lpWant, lo, w, wo, len);
                        for (boolean withA : new boolean[] {true, false}) {
                            float[] lp = lp0.clone(), eGot = new float[len + 2], qGot = new float[len + 2], fGot = new float[len + 2];
                            float[] a = new float[ao + len];
                            java.util.Arrays.fill(a, 7f);
                            float sum = k.focalTerm(lp, lo, w, wo, gamma, floor, scale, eGot, qGot, fGot, withA ? a : null, ao, len);
                            String at = ctx + ", coefficient " + withA;
                            assertEquals(Float.floatToIntBits(sumWant), Float.floatToIntBits(sum), at + ": sum");
                            for (int j = 0; j < lo + len; j++) {
                                assertEquals(Float.floatToIntBits(lpWant[j]), Float.floatToIntBits(lp[j]), at + ": lp at " + j);
                            }
                            for (int j = 0; j < len && gamma != 0f; j++) {
                                assertEquals(Float.floatToIntBits(e[j]), Float.floatToIntBits(eGot[j]), at + ": e at " + j);
                                assertEquals(Float.floatToIntBits(q[j]), Float.floatToIntBits(qGot[j]), at + ": q at " + j);
                                assertEquals(Float.floatToIntBits(f[j]), Float.floatToIntBits(fGot[j]), at + ": f at " + j);
                            }
                            for (int j = 0; j < ao + len; j++) {
                                float want = withA && j >= ao ? aWant[j] : 7f;
                                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(a[j]), at + ": a at " + j);
                            }
                        }
                    }
                }
            }
        }));
        // labelSoftmaxGradient: p a_j - [y = k] a_j with a per column, as written out in float
        // arithmetic, bit for bit in each implementation, in place too
        out.add(dynamicTest(v.name() + " labelSoftmaxGradient is p·a_j − [y = k]·a_j bit for bit", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                if ((long) rows * inner > 1 << 17) continue;
                for (int cols : new int[] {inner, Math.max(1, inner - 3)}) {
                    if (inner == 1 && cols != 1) continue;
                    Random rnd = new Random(rows * 43L + inner * 3L + cols);
                    int off = 4, lo = 2, ao = 3;
                    float[] p = new float[off + rows * inner], a = new float[ao + cols];
                    for (int i = 0; i < p.length; i++) p[i] = uniform(0, 1).next(rnd);
                    for (int i = 0; i < a.length; i++) a[i] = uniform(-3, 3).next(rnd);
                    int[] lab = new int[lo + cols];
                    for (int j = 0; j < lab.length; j++) {
                        int r = rnd.nextInt(rows + 3);
                        lab[j] = r < rows ? r : r == rows ? -1 : r == rows + 1 ? 255 : Integer.MIN_VALUE;
                    }
                    float[] expect = p.clone();
                    for (int j = 0; j < cols; j++) {
                        int y = lab[lo + j];
                        for (int c = 0; c < rows; c++) {
                            float t = p[off + c * inner + j] * a[ao + j];
                            expect[off + c * inner + j] = c == y ? t - a[ao + j] : t;
                        }
                    }
                    for (Kernels k : new Kernels[] {s, v}) {
                        float[] outOf = p.clone(), inPlace = p.clone();
                        k.labelSoftmaxGradient(p, off, rows, inner, cols, lab, lo, a, ao, outOf, off);
                        k.labelSoftmaxGradient(inPlace, off, rows, inner, cols, lab, lo, a, ao, inPlace, off);
                        for (int i = 0; i < p.length; i++) {
                            String ctx = k.name() + " labelSoftmaxGradient [n=" + rows + ", inner=" + inner + ", cols=" + cols + "] at " + i;
                            assertEquals(Float.floatToIntBits(expect[i]), Float.floatToIntBits(outOf[i]), ctx);
                            assertEquals(Float.floatToIntBits(expect[i]), Float.floatToIntBits(inPlace[i]), ctx + " (in place)");
                        }
                    }
                }
            }
        }));
        // softmaxBackward with g in a compact layout of its own: in each implementation the bits of
        // the common-stride kernel on the same values (and y overwritten in place), and twins close
        // softmaxBackwardByLabel: in each implementation the bits of softmaxBackward on the g the
        // table gives (labels outside [0, n) read the last row), in place too; the twins then agree
        // exactly (the same mul-then-add order). Both paths of the vector kernel: n + 1 within a
        // vector (a permute) and wider (blends), n = 17
        out.add(dynamicTest(v.name() + " softmaxBackwardByLabel is softmaxBackward on the looked-up g", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                if ((long) rows * inner > 1 << 17 || rows > 300) continue;   // the table is (n + 1) n
                for (int cols : new int[] {inner, Math.max(1, inner - 3)}) {
                    if (inner == 1 && cols != 1) continue;
                    Random rnd = new Random(rows * 41L + inner * 3L + cols);
                    int off = 2, lo = 3;
                    float[] y = new float[off + rows * inner];
                    for (int i = 0; i < y.length; i++) y[i] = uniform(0, 1).next(rnd);
                    float[] table = new float[(rows + 1) * rows];
                    for (int i = 0; i < table.length; i++) table[i] = uniform(-2, 2).next(rnd);
                    int[] lab = new int[lo + cols];
                    float[] g = new float[off + rows * inner];
                    for (int j = 0; j < cols; j++) {
                        int r = rnd.nextInt(rows + 3);
                        lab[lo + j] = r < rows ? r : r == rows ? -1 : r == rows + 1 ? 255 : Integer.MAX_VALUE;
                        int row = r < rows ? r : rows;
                        for (int k = 0; k < rows; k++) g[off + k * inner + j] = table[row * rows + k];
                    }
                    float[][] results = new float[2][];
                    Kernels[] both = {s, v};
                    for (int q = 0; q < 2; q++) {
                        Kernels k = both[q];
                        float[] expect = y.clone(), got = y.clone(), inPlace = y.clone();
                        k.softmaxBackward(y, off, g, off, rows, inner, cols, expect, off);
                        k.softmaxBackwardByLabel(y, off, rows, inner, cols, lab, lo, table, got, off);
                        k.softmaxBackwardByLabel(inPlace, off, rows, inner, cols, lab, lo, table, inPlace, off);
                        for (int i = 0; i < y.length; i++) {
                            String ctx = k.name() + " softmaxBackwardByLabel [n=" + rows + ", inner=" + inner + ", cols=" + cols + "] at " + i;
                            assertEquals(Float.floatToIntBits(expect[i]), Float.floatToIntBits(got[i]), ctx);
                            assertEquals(Float.floatToIntBits(expect[i]), Float.floatToIntBits(inPlace[i]), ctx + " (in place)");
                        }
                        results[q] = got;
                    }
                    // (inner == 1: softmaxBackward's row path, whose vector dot sums by lanes; its twins are close, not equal)
                    for (int i = 0; i < y.length && inner > 1; i++) {
                        assertEquals(Float.floatToIntBits(results[0][i]), Float.floatToIntBits(results[1][i]),
                                v.name() + " softmaxBackwardByLabel twins [n=" + rows + ", inner=" + inner + "] at " + i);
                    }
                }
            }
        }));
        out.add(dynamicTest(v.name() + " softmaxBackward with g's own row stride", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                if (inner == 1) continue;
                int cols = Math.max(1, inner - 2), off = 3;
                Random rnd = new Random(rows * 131L + inner);
                float[] y = new float[off + rows * inner], g = new float[off + rows * inner], gc = new float[rows * cols + 1];
                for (int i = 0; i < y.length; i++) {
                    y[i] = uniform(0, 1).next(rnd);
                    g[i] = uniform(-1, 1).next(rnd);
                }
                for (int r = 0; r < rows; r++) System.arraycopy(g, off + r * inner, gc, 1 + r * cols, cols);
                float[][] got = new float[2][];
                Kernels[] both = {s, v};
                for (int t = 0; t < 2; t++) {
                    Kernels k = both[t];
                    float[] common = new float[y.length], strided = y.clone();
                    k.softmaxBackward(y, off, g, off, rows, inner, cols, common, off);
                    k.softmaxBackward(strided, off, gc, 1, cols, rows, inner, cols, strided, off);   // out = y: in place
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < cols; j++) {
                            int i = off + r * inner + j;
                            assertEquals(Float.floatToIntBits(common[i]), Float.floatToIntBits(strided[i]),
                                    k.name() + " softmaxBackward(gStride) [n=" + rows + ", inner=" + inner + "] at (k=" + r + ", j=" + j + ")");
                        }
                    }
                    got[t] = strided;
                }
                double[] col = columnAbsSums(g, y, off, rows, inner);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) {
                        int i = off + r * inner + j;
                        assertClose(v.name() + " softmaxBackward(gStride) twins at (k=" + r + ", j=" + j + ")", got[0][i], got[1][i],
                                REL * Math.abs(got[0][i]) + Math.abs(y[i]) * (sumTol(rows) * col[j] + REL) + ABS);
                    }
                }
            }
        }));
        out.add(dynamicTest(v.name() + " softmax and logSoftmax with -Infinity entries", () -> {
            for (int[] shape : shapes(v.lanes())) {
                int rows = shape[0], inner = shape[1];
                if (rows < 2) continue;   // keep one finite entry per column
                Random rnd = new Random(rows * 7919L + inner);
                float[] x = new float[rows * inner];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i >= inner && rnd.nextInt(3) == 0 ? Float.NEGATIVE_INFINITY : uniform(-10, 10).next(rnd);
                }
                for (boolean log : new boolean[] {false, true}) {
                    float[] rs = new float[x.length], rv = new float[x.length];
                    if (log) {
                        s.logSoftmax(x, 0, rows, inner, rs, 0);
                        v.logSoftmax(x, 0, rows, inner, rv, 0);
                    } else {
                        s.softmax(x, 0, rows, inner, rs, 0);
                        v.softmax(x, 0, rows, inner, rv, 0);
                    }
                    for (int i = 0; i < x.length; i++) {
                        String ctx = v.name() + (log ? " logSoftmax" : " softmax") + " [n=" + rows
                                + ", inner=" + inner + "] at (k=" + i / inner + ", j=" + i % inner + ")";
                        double tol = log ? 2 * REL * (Math.abs(x[i]) + Math.abs(rs[i])) + sumTol(rows) + ABS
                                         : (REL + sumTol(rows)) * Math.abs(rs[i]) + ABS;
                        assertClose(ctx, rs[i], rv[i], tol);
                        if (x[i] == Float.NEGATIVE_INFINITY) {
                            assertEquals(log ? Float.NEGATIVE_INFINITY : 0f, rv[i], ctx);
                        }
                    }
                }
            }
        }));
        out.add(dynamicTest(v.name() + " VectorKernels.create rejects other widths", () -> {
            try {
                Class.forName("org.segloss.tensor.simd.VectorKernels").getMethod("create", int.class).invoke(null, 64);
                fail("VectorKernels.create(64) did not throw");
            } catch (java.lang.reflect.InvocationTargetException e) {
                Throwable c = e.getCause();
                assertTrue(c instanceof IllegalArgumentException, String.valueOf(c));
                assertTrue(c.getMessage().contains("bits") && c.getMessage().contains("[128, 256, 512]"), c.getMessage());
            }
        }));
        return out;
    }
}
