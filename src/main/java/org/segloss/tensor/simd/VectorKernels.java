package org.segloss.tensor.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.ScalarKernels;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.D2F;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.F2D;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.IS_NAN;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MIN;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.ULT;

/**
 * The Vector API twin of {@link ScalarKernels}: same contract, results within a few ulp.
 *
 * <p>Every loop body lives here and asks {@link #species()} for its shape. Each width is a tiny
 * final subclass returning a {@code static final} species, and production instantiates exactly
 * one of them, so {@code species()} is monomorphic, inlines to a constant, and C2 intrinsifies
 * the vector ops (a species that is not a JIT constant makes every vector a heap box, 10-20x
 * slower). For the same reason vectors live only in locals, never in arrays or fields, and every
 * {@code VectorOperators} argument is a literal at its use, never a parameter.
 *
 * <p>Elementwise kernels run to {@code loopBound(n)} and finish with a scalar tail that calls
 * {@link ScalarKernels#apply}: fewer than {@link #lanes()} elements, computed by the spec itself,
 * and no masked load near the end of an array (where masked accesses take a slow checked path).
 *
 * <p>Known differences from the scalar spec, all within the tested tolerance: EXP and LOG (and
 * everything built on them: sigmoid, softmax, log-softmax) are polynomials written in plain vector
 * arithmetic ({@link #exp(FloatVector)}: a degree-6 minimax, at most 1 ulp over every float;
 * {@link #log(FloatVector)}: Cephes' {@code logf}, about 1 ulp), deliberately not the Vector API's {@code EXP}/{@code LOG}
 * lanes, so that a result does not depend on whether C2 has compiled the loop yet (see
 * {@code spec/numerics.md}, "Determinism"); so is pow ({@link #powBody}: e^(p ln x) with ln x in
 * two floats, at most 1 ulp for |p| &lt;= 12.5, and {@code Math.pow} on the lanes outside its
 * path), log1p ({@link #log1p}: ln(1 + x) with u's rounding error corrected) and tanh
 * ({@link #tanh}: from e^(-2|x|) − 1): no kernel takes a Vector API transcendental lane, whose
 * bits change when C2 compiles it; float sums are accumulated per lane in a different order (the
 * spec sums in double for {@code sum}/{@code dot}, in float along the axis kernels); {@code dot}
 * uses FMA. Special values (NaN, infinities, signed zeros) follow the spec.
 */
public abstract sealed class VectorKernels implements Kernels
        permits VectorKernels.V128, VectorKernels.V256, VectorKernels.V512 {

    VectorKernels() {}

    /** The float species; a static final constant in each subclass so hot loops fold it. */
    abstract VectorSpecies<Float> species();

    /** The int species with as many lanes as {@link #species()}, for {@code select}'s mask. */
    abstract VectorSpecies<Integer> intSpecies();

    /** The double species of the same width (half the float lanes), for the norms' double arithmetic. */
    abstract VectorSpecies<Double> doubleSpecies();

    /** The float species with as many lanes as {@link #doubleSpecies()}: the floats one double vector widens. */
    abstract VectorSpecies<Float> halfSpecies();

    /** 4 float lanes (SSE / NEON). */
    static final class V128 extends VectorKernels {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_128;
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_128;
        private static final VectorSpecies<Float> H = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> species() { return F; }
        @Override VectorSpecies<Integer> intSpecies() { return I; }
        @Override VectorSpecies<Double> doubleSpecies() { return D; }
        @Override VectorSpecies<Float> halfSpecies() { return H; }
    }

    /** 8 float lanes (AVX2). */
    static final class V256 extends VectorKernels {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
        private static final VectorSpecies<Float> H = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> species() { return F; }
        @Override VectorSpecies<Integer> intSpecies() { return I; }
        @Override VectorSpecies<Double> doubleSpecies() { return D; }
        @Override VectorSpecies<Float> halfSpecies() { return H; }
    }

    /** 16 float lanes (AVX-512). */
    static final class V512 extends VectorKernels {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
        private static final VectorSpecies<Float> H = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> species() { return F; }
        @Override VectorSpecies<Integer> intSpecies() { return I; }
        @Override VectorSpecies<Double> doubleSpecies() { return D; }
        @Override VectorSpecies<Float> halfSpecies() { return H; }
    }

    /** The CPU's preferred float vector size in bits. */
    public static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /** The kernels at a width of 128, 256 or 512 bits. */
    public static Kernels create(int bits) {
        // NOTE: each case returns straight to the interface type. A switch *expression* makes
        // javac merge the three classes into a VectorKernels stack slot, and the verifier then
        // loads all three subclasses to check it; with three loaded, class hierarchy analysis
        // can no longer prove species() monomorphic and the species stops being a JIT constant.
        switch (bits) {
            case 128 -> { return new V128(); }
            case 256 -> { return new V256(); }
            case 512 -> { return new V512(); }
            default -> throw new IllegalArgumentException(
                    "VectorKernels.create: bits must be one of [128, 256, 512], got " + bits);
        }
    }

    @Override public String name() { return "vector-" + species().vectorBitSize(); }

    @Override public int lanes() { return species().length(); }

    // ---- unary ------------------------------------------------------------------------------
    // One small loop per op, each with its operator written literally: a VectorOperators value
    // passed as a parameter is a JIT constant only if the helper inlines, and when it does not,
    // lanewise() falls back to a per-lane Java loop.

    @Override
    public void map(Unary op, float[] x, int xOff, float[] out, int outOff, int n) {
        int i = switch (op) {
            case NEG -> neg(x, xOff, out, outOff, n);
            case EXP -> exp(x, xOff, out, outOff, n);
            case LOG -> log(x, xOff, out, outOff, n);
            case LOG1P -> log1p(x, xOff, out, outOff, n);
            case SQRT -> sqrt(x, xOff, out, outOff, n);
            case ABS -> abs(x, xOff, out, outOff, n);
            case RELU -> relu(x, xOff, out, outOff, n);
            case SIGMOID -> sigmoid(x, xOff, out, outOff, n);
            case TANH -> tanh(x, xOff, out, outOff, n);
            case SQUARE -> square(x, xOff, out, outOff, n);
            case RECIPROCAL -> reciprocal(x, xOff, out, outOff, n);
            case SIGN -> sign(x, xOff, out, outOff, n);
        };
        for (; i < n; i++) out[outOff + i] = ScalarKernels.apply(op, x[xOff + i]);
    }

    /** -x up to loopBound(n); returns where the tail starts (as every unary body). */
    private int neg(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, x, xOff + i).neg().intoArray(out, outOff + i);
        }
        return bound;
    }

    /** exp(x). */
    private int exp(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            exp(FloatVector.fromArray(sp, x, xOff + i)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** log(x). */
    private int log(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            log(FloatVector.fromArray(sp, x, xOff + i)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** log(1 + x). */
    /**
     * ln(1 + x) lane by lane in plain arithmetic (the same bits in every JIT tier, unlike the
     * Vector API's LOG1P lanes): u = 1 + x rounded, then ln u − ((u − 1) − x) / u, where
     * (u − 1) − x is u's rounding error, exact, and the division turns it into ln's first-order
     * correction (for |x| below half an ulp of 1, u = 1 and the result is x itself). Lanes with
     * x ≤ −1, ±0, ±Infinity or NaN take {@code (float) Math.log1p}, the scalar kernels' bits (its
     * −Infinity at −1, NaN below, the sign of a zero). Within 1 ulp of {@code (float) Math.log1p}
     * (VectorUnaryAccuracyTest, spec/numerics.md).
     */
    private int log1p(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            FloatVector u = v.add(1f);
            FloatVector r = log(u).sub(u.sub(1f).sub(v).div(u));
            VectorMask<Float> outside = v.compare(GT, -1f).and(v.compare(NE, 0f)).and(v.abs().compare(LT, Float.POSITIVE_INFINITY)).not();
            if (outside.anyTrue()) r = r.blend(FloatVector.fromArray(sp, log1pLanes(x, xOff + i, sp.length()), 0), outside);
            r.intoArray(out, outOff + i);
        }
        return bound;
    }

    /** (float) Math.log1p of x[off .. off + lanes): the slow path of {@link #log1p}, as {@link #powLanes}. */
    private static float[] log1pLanes(float[] x, int off, int lanes) {
        float[] a = new float[lanes];
        for (int j = 0; j < lanes; j++) a[j] = (float) Math.log1p(x[off + j]);
        return a;
    }

    /** sqrt(x), correctly rounded as Math.sqrt. */
    private int sqrt(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, x, xOff + i).sqrt().intoArray(out, outOff + i);
        }
        return bound;
    }

    /** |x|. */
    private int abs(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, x, xOff + i).abs().intoArray(out, outOff + i);
        }
        return bound;
    }

    /** x > 0 ? x : 0. */
    private int relu(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            // a blend on x > 0, not max(x, 0): the spec maps NaN and -0 to +0, MAX would not
            zero.blend(v, v.compare(GT, 0f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** 1 / (1 + exp(-x)). */
    private int sigmoid(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector one = FloatVector.broadcast(sp, 1f);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            // NOTE: e = exp(-|x|) <= 1 never overflows; r = sigmoid(|x|), sigmoid(-|x|) = e * r
            FloatVector e = exp(v.abs().neg());
            FloatVector r = one.div(one.add(e));
            r.blend(e.mul(r), v.compare(LT, 0f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** tanh(x). */
    /**
     * tanh x lane by lane in plain arithmetic (the same bits in every JIT tier, unlike the Vector
     * API's TANH lanes): with a = |x| and m = e^(-2a) − 1,
     * <pre>
     *   tanh a = −m / (2 + m),   m = 2^n (e^r − 1) + (2^n − 1)  (one FMA),   −2a = n ln 2 + r
     * </pre>
     * e^r − 1 by the exponential's polynomial, so m keeps its relative accuracy as a → 0 (where
     * 1 − e^(−2a) would cancel); 1 for a ≥ 9.1 (tanh rounds to 1 there), x's sign put back by its
     * sign bit (so ±0 stay ±0); NaN lanes are x itself. Within 2 ulp of {@code (float) Math.tanh}
     * (VectorUnaryAccuracyTest, spec/numerics.md).
     */
    private int tanh(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            FloatVector a = v.abs();
            FloatVector y = a.min(9.1f).mul(-2f);                                // in [-18.2, 0]: n in [-26, 0]
            FloatVector t = y.fma(LOG2E, EXP_SHIFTER), en = t.sub(EXP_SHIFTER);
            FloatVector twoN = t.reinterpretAsInts().lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23).reinterpretAsFloats();
            // e^r − 1 as expOfReducedMinusOne, written out: no vector helper in the loop (powBody)
            FloatVector r0 = en.fma(FloatVector.broadcast(sp, -LN2_LO), en.fma(FloatVector.broadcast(sp, -LN2_HI), y));
            FloatVector q = r0.fma(1.3814610e-3f, 8.3687110e-3f).fma(r0, FloatVector.broadcast(sp, 4.1668389e-2f))
                    .fma(r0, FloatVector.broadcast(sp, 1.6666521e-1f)).fma(r0, FloatVector.broadcast(sp, 4.9999994e-1f));
            FloatVector m = q.fma(r0.mul(r0), r0).fma(twoN, twoN.sub(1f));
            FloatVector th = m.neg().div(m.add(2f)).abs().blend(1f, a.compare(GE, 9.1f));
            // |tanh| with x's sign bit; NaN lanes: x (a NaN a fails the compare and gives NaN anyway)
            FloatVector r = th.reinterpretAsInts().or(v.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
            r.blend(v, v.test(IS_NAN)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** x * x. */
    private int square(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            v.mul(v).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** 1 / x. */
    private int reciprocal(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector one = FloatVector.broadcast(sp, 1f);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            one.div(FloatVector.fromArray(sp, x, xOff + i)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** -1, 0 or +1. */
    private int sign(float[] x, int xOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            // two compares rather than copySign: NaN and -0 must give +0 as in the spec
            zero.blend(1f, v.compare(GT, 0f)).blend(-1f, v.compare(LT, 0f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    @Override
    public void pow(float[] x, int xOff, float p, float[] out, int outOff, int n) {
        // p == 2 is common (squared errors): x * x is exactly (float) Math.pow(x, 2) and far
        // cheaper than the POW intrinsic
        if (p == 1f) {   // x ^ 1 is x exactly ((float) Math.pow(x, 1) == x): no POW call, e.g. the focal derivative at γ = 2
            if (x != out || xOff != outOff) System.arraycopy(x, xOff, out, outOff, n);
            return;
        }
        int i = p == 2f ? square(x, xOff, out, outOff, n) : powBody(x, xOff, p, out, outOff, n);
        for (; i < n; i++) out[outOff + i] = (float) Math.pow(x[xOff + i], p);
    }

    /**
     * x ^ p lane by lane: e^(p ln x) in plain lanewise arithmetic (the same bits in every JIT tier,
     * unlike the Vector API's POW lanes) for x a positive normal float with |p ln x| &lt;= 87;
     * {@code (float) Math.pow} (the scalar kernels' bits) on every other lane: x zero, subnormal,
     * negative, infinite or NaN, a result near overflow or underflow, p not finite. Each lane's
     * result depends on its own x only. Within 1 ulp of {@code (float) Math.pow(x, p)} for
     * |p| &lt;= 12.5, ⌈|p| / 10⌉ ulp beyond (VectorPowAccuracyTest, spec/numerics.md).
     *
     * <p>ln x as {@link #logOfNormal} computes it, e ln 2 + ln(1 + t) with t exact, but carried in
     * two floats: hi = e·LN2_HI + t − t²/2 by two Fast2Sums (e·LN2_HI is exact and larger than t
     * unless e = 0; |e·LN2_HI + t| &gt;= t²/2), lo = their rounding errors + t²'s (an FMA) +
     * e·LN2_LO + t³·P(t), then hi + lo renormalised (a third Fast2Sum) so that lo lies below hi's
     * ulp. p ln x likewise as yHi + yLo (an FMA gives p·hi's rounding error); yHi picks the
     * exponential's n, and yLo joins its reduced argument r = yHi − n ln 2. A plain float ln x
     * would put about |p ln x| ulps of error into x^p.
     *
     * <p>One loop body without vector helpers: a vector helper that C2 does not inline boxes its
     * vectors on every call, and whether C2 inlines one depended on what ran before (a JVM that ran
     * Dice before exp-log boxed one vector per 16 floats here with the log polynomial as a helper).
     */
    private int powBody(float[] x, int xOff, float p, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector pv = FloatVector.broadcast(sp, p), zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            IntVector bits = v.reinterpretAsInts();
            IntVector eRaw = bits.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 23).and(0xff).sub(126);
            FloatVector e = (FloatVector) eRaw.convertShape(jdk.incubator.vector.VectorOperators.I2F, sp, 0);
            FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats();   // mantissa in [0.5, 1)
            VectorMask<Float> low = m.compare(LT, 0.707106781186547524f);
            e = e.sub(zero.blend(1f, low));
            FloatVector t = m.add(zero.blend(m, low)).sub(1f);                 // exact, in [-0.293, 0.414]
            FloatVector z = t.mul(t), z2 = z.mul(z);
            // t³·P(t), Cephes' logf polynomial by Estrin's scheme (4 dependent steps, not 9)
            FloatVector p03 = t.fma(zero.broadcast(-1.6668057665e-1f), zero.broadcast(2.0000714765e-1f))
                    .fma(z, t.fma(zero.broadcast(-2.4999993993e-1f), zero.broadcast(3.3333331174e-1f)));
            FloatVector p47 = t.fma(zero.broadcast(-1.1514610310e-1f), zero.broadcast(1.1676998740e-1f))
                    .fma(z, t.fma(zero.broadcast(-1.2420140846e-1f), zero.broadcast(1.4249322787e-1f)));
            FloatVector lo = z2.fma(zero.broadcast(7.0376836292e-2f), p47).fma(z2, p03).mul(t).mul(z);
            lo = e.fma(zero.broadcast(LN2_LO), lo);
            lo = t.fma(t, z.neg()).fma(zero.broadcast(-0.5f), lo);                             // -(t² - z)/2
            FloatVector a = e.mul(LN2_HI);                                     // exact: 8 + 9 bits
            FloatVector s1 = a.add(t);
            lo = lo.add(t.sub(s1.sub(a)));                                     // Fast2Sum error of a + t
            FloatVector h = z.mul(-0.5f);                                      // exact
            FloatVector hi = s1.add(h);
            lo = lo.add(h.sub(hi.sub(s1)));                                    // Fast2Sum error of s1 + h
            FloatVector sum = hi.add(lo);                                      // |lo| <= |hi|
            lo = lo.sub(sum.sub(hi));
            hi = sum;
            FloatVector yHi = hi.mul(pv);                                      // p ln x = yHi + yLo
            FloatVector yLo = lo.fma(pv, hi.fma(pv, yHi.neg()));
            FloatVector tt = yHi.fma(LOG2E, EXP_SHIFTER);                      // as expFast
            FloatVector en = tt.sub(EXP_SHIFTER);                              // n
            FloatVector r = en.fma(zero.broadcast(-LN2_HI), yHi);              // exact
            r = en.fma(zero.broadcast(-LN2_LO), r).add(yLo);
            FloatVector twoN = tt.reinterpretAsInts().lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23).reinterpretAsFloats();
            // e^r − 1 as expOfReducedMinusOne, written out here: a helper call this late in the
            // body is past C2's inlining node cutoff and would box its vectors
            FloatVector q = r.fma(1.3814610e-3f, 8.3687110e-3f);
            q = q.fma(r, zero.broadcast(4.1668389e-2f));
            q = q.fma(r, zero.broadcast(1.6666521e-1f));
            q = q.fma(r, zero.broadcast(4.9999994e-1f));
            FloatVector result = q.fma(r.mul(r), r).fma(twoN, twoN);
            // x a positive normal finite float: its bits minus MIN_NORMAL's below +Infinity's minus
            // MIN_NORMAL's, unsigned (sign set, zero, subnormal, infinite and NaN all fail); and
            // |yHi| <= 87, so n lies in [-126, 126] (false for a NaN p)
            VectorMask<Float> outside = bits.sub(0x00800000).compare(ULT, 0x7f000000).cast(sp)
                    .and(yHi.abs().compare(LE, EXP_FAST)).not();
            // those lanes through the scalar pow (rare), read from x before out (maybe x) is written
            if (outside.anyTrue()) result = result.blend(FloatVector.fromArray(sp, powLanes(x, xOff + i, p, sp.length()), 0), outside);
            result.intoArray(out, outOff + i);
        }
        return bound;
    }

    /**
     * (float) Math.pow of x[off .. off + lanes): the slow path of {@link #powBody}, a new array
     * (rare). Arrays in and out, no vector: a vector argument of a call C2 does not inline is boxed,
     * and C2 may box it on the fast path too.
     */
    private static float[] powLanes(float[] x, int off, float p, int lanes) {
        float[] a = new float[lanes];
        for (int j = 0; j < lanes; j++) a[j] = (float) Math.pow(x[off + j], p);
        return a;
    }

    // ---- binary -----------------------------------------------------------------------------
    // One loop per op serves zip, zipScalarRight and zipScalarLeft: a null array means "this
    // operand is the broadcast scalar". The null test is loop-invariant (C2 unswitches the loop).

    @Override
    public void zip(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = binary(op, a, aOff, 0f, b, bOff, 0f, out, outOff, n);
        for (; i < n; i++) out[outOff + i] = ScalarKernels.apply(op, a[aOff + i], b[bOff + i]);
    }

    @Override
    public void zipScalarRight(Binary op, float[] a, int aOff, float s, float[] out, int outOff, int n) {
        int i = binary(op, a, aOff, 0f, null, 0, s, out, outOff, n);
        for (; i < n; i++) out[outOff + i] = ScalarKernels.apply(op, a[aOff + i], s);
    }

    @Override
    public void zipScalarLeft(Binary op, float s, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = binary(op, null, 0, s, b, bOff, 0f, out, outOff, n);
        for (; i < n; i++) out[outOff + i] = ScalarKernels.apply(op, s, b[bOff + i]);
    }

    /** Dispatches once per call, outside the loops; returns where the scalar tail starts. */
    private int binary(Binary op, float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                       float[] out, int outOff, int n) {
        return switch (op) {
            case ADD -> add(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case SUB -> sub(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case MUL -> mul(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case DIV -> div(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case MIN -> zipMin(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case MAX -> zipMax(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case RELU_GRAD -> reluGrad(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case SIGMOID_GRAD -> sigmoidGrad(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case TANH_GRAD -> tanhGrad(a, aOff, sa, b, bOff, sb, out, outOff, n);
            case ABS_GRAD -> absGrad(a, aOff, sa, b, bOff, sb, out, outOff, n);
        };
    }

    /** The vector at a[off..], or s in every lane when a is null. */
    private static FloatVector load(VectorSpecies<Float> sp, float[] a, int off, float s) {
        return a == null ? FloatVector.broadcast(sp, s) : FloatVector.fromArray(sp, a, off);
    }

    /** a + b. */
    private int add(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                    float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            load(sp, a, aOff + i, sa).add(load(sp, b, bOff + i, sb)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** a - b. */
    private int sub(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                    float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            load(sp, a, aOff + i, sa).sub(load(sp, b, bOff + i, sb)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** a * b. */
    private int mul(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                    float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            load(sp, a, aOff + i, sa).mul(load(sp, b, bOff + i, sb)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** a / b. */
    private int div(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                    float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            load(sp, a, aOff + i, sa).div(load(sp, b, bOff + i, sb)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** Math.min(a, b): the MIN lane op has Math.min semantics (NaN wins, -0 < +0). */
    private int zipMin(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                    float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            load(sp, a, aOff + i, sa).min(load(sp, b, bOff + i, sb)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** Math.max(a, b). */
    private int zipMax(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                    float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            load(sp, a, aOff + i, sa).max(load(sp, b, bOff + i, sb)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** b > 0 ? a : 0. */
    private int reluGrad(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                         float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector vb = load(sp, b, bOff + i, sb);
            zero.blend(load(sp, a, aOff + i, sa), vb.compare(GT, 0f)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** a * b * (1 - b), rounded in the spec's order (no FMA) so the twins agree exactly. */
    private int sigmoidGrad(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                            float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector one = FloatVector.broadcast(sp, 1f);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector vb = load(sp, b, bOff + i, sb);
            load(sp, a, aOff + i, sa).mul(vb).mul(one.sub(vb)).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** a * (1 - b * b), no FMA for the same reason. */
    private int tanhGrad(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                         float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector one = FloatVector.broadcast(sp, 1f);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector vb = load(sp, b, bOff + i, sb);
            load(sp, a, aOff + i, sa).mul(one.sub(vb.mul(vb))).intoArray(out, outOff + i);
        }
        return bound;
    }

    /** b > 0 ? a : (b < 0 ? -a : 0). */
    private int absGrad(float[] a, int aOff, float sa, float[] b, int bOff, float sb,
                        float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector va = load(sp, a, aOff + i, sa);
            FloatVector vb = load(sp, b, bOff + i, sb);
            // compares, not a * sign(b): b = 0 or NaN must give 0 even when a is infinite
            zero.blend(va.neg(), vb.compare(LT, 0f)).blend(va, vb.compare(GT, 0f))
                    .intoArray(out, outOff + i);
        }
        return bound;
    }

    // ---- other elementwise ------------------------------------------------------------------

    @Override
    public void clamp(float[] x, int xOff, float lo, float hi, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            // MAX then MIN with Math semantics: NaN in x, lo or hi propagates as in the spec
            FloatVector.fromArray(sp, x, xOff + i).max(lo).min(hi).intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = Math.min(Math.max(x[xOff + i], lo), hi);
    }

    @Override
    public void clampGrad(float[] g, int gOff, float[] x, int xOff, float lo, float hi,
                          float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            VectorMask<Float> inside = v.compare(GE, lo).and(v.compare(LE, hi));
            zero.blend(FloatVector.fromArray(sp, g, gOff + i), inside).intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = (v >= lo && v <= hi) ? g[gOff + i] : 0f;
        }
    }

    @Override
    public void select(int[] mask, int maskOff, float[] a, int aOff, float[] b, int bOff,
                       float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            // same lane count, so the int mask casts to a float mask without reshaping
            VectorMask<Float> m = IntVector.fromArray(isp, mask, maskOff + i).compare(NE, 0).cast(sp);
            FloatVector.fromArray(sp, b, bOff + i).blend(FloatVector.fromArray(sp, a, aOff + i), m)
                    .intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = mask[maskOff + i] != 0 ? a[aOff + i] : b[bOff + i];
    }

    @Override
    public void addWhereEqual(int[] labels, int labelsOff, int label, float v, float[] a, int aOff,
                              float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            // same lane count, so the int mask casts to a float mask without reshaping
            VectorMask<Float> m = IntVector.fromArray(isp, labels, labelsOff + i).compare(EQ, label).cast(sp);
            FloatVector.fromArray(sp, a, aOff + i).add(v, m).intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = labels[labelsOff + i] == label ? a[aOff + i] + v : a[aOff + i];
    }

    @Override
    public float sumWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, int n) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        FloatVector acc = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            VectorMask<Float> m = IntVector.fromArray(isp, labels, labelsOff + i).compare(EQ, label).cast(sp);
            acc = acc.add(FloatVector.fromArray(sp, x, xOff + i), m);
        }
        float s = sumLanes(acc);
        for (int i = bound; i < n; i++) {
            if (labels[labelsOff + i] == label) s += x[xOff + i];
        }
        return s;
    }

    @Override
    public float sumSquaredErrorWhereEqual(int[] labels, int labelsOff, int label, float[] p, int pOff, int n) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        FloatVector one = FloatVector.broadcast(sp, 1f), acc = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            // sumWhereEqual's masked accumulation over the row (1 - p)(1 - p): the same bits
            VectorMask<Float> m = IntVector.fromArray(isp, labels, labelsOff + i).compare(EQ, label).cast(sp);
            FloatVector e = one.sub(FloatVector.fromArray(sp, p, pOff + i));
            acc = acc.add(e.mul(e), m);
        }
        float s = sumLanes(acc);
        for (int i = bound; i < n; i++) {
            if (labels[labelsOff + i] == label) {
                float e = 1f - p[pOff + i];
                s += e * e;
            }
        }
        return s;
    }

    @Override
    public void addSquaredErrorGradient(int[] labels, int labelsOff, int label, float atLabel, float elsewhere, float[] p, int pOff,
                                        float[] g, int gOff, int n) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        FloatVector one = FloatVector.broadcast(sp, 1f);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            VectorMask<Float> m = IntVector.fromArray(isp, labels, labelsOff + i).compare(EQ, label).cast(sp);
            FloatVector x = FloatVector.fromArray(sp, p, pOff + i);
            FloatVector t = x.mul(elsewhere).blend(one.sub(x).mul(atLabel), m);
            FloatVector.fromArray(sp, g, gOff + i).add(t).intoArray(g, gOff + i);
        }
        for (int i = bound; i < n; i++) {
            float x = p[pOff + i];
            g[gOff + i] += labels[labelsOff + i] == label ? (1f - x) * atLabel : x * elsewhere;
        }
    }

    @Override
    public void selectWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, float[] a, int aOff,
                                 float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            // same lane count, so the int mask casts to a float mask without reshaping
            VectorMask<Float> m = IntVector.fromArray(isp, labels, labelsOff + i).compare(EQ, label).cast(sp);
            FloatVector.fromArray(sp, a, aOff + i).blend(FloatVector.fromArray(sp, x, xOff + i), m).intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = labels[labelsOff + i] == label ? x[xOff + i] : a[aOff + i];
    }

    @Override
    public int countEqual(int[] labels, int labelsOff, int label, int n) {
        VectorSpecies<Integer> isp = intSpecies();
        int bound = isp.loopBound(n), count = 0;
        for (int i = 0; i < bound; i += isp.length()) {
            count += IntVector.fromArray(isp, labels, labelsOff + i).compare(EQ, label).trueCount();
        }
        for (int i = bound; i < n; i++) {
            if (labels[labelsOff + i] == label) count++;
        }
        return count;
    }

    /** The lane accumulators of {@link #softmaxLabelSums} ([slot, class, lane]) and the gp block of its backward ([class, lane]), per thread. */
    private static final ThreadLocal<float[][]> LABEL_SUM_ACC = ThreadLocal.withInitial(() -> new float[1][0]);

    @Override
    public float softmaxLabelSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                  int[] labels, int labelsOff, int stats, float[] sums, int sumsOff, float[] softmaxStats, int statsOff) {
        java.util.Arrays.fill(sums, sumsOff, sumsOff + LABEL_SUM_SLOTS * n, 0f);
        float finite = 0f;
        if (inner == 1) {
            // one column of n contiguous values: the contiguous-row softmax (the softmax kernel's bits)
            for (int k = 0; k < n; k++) finite += x[xOff + k] - x[xOff + k];
            if (softmaxStats != null) {
                // softmaxAndLogSum's row stats, taken before the softmax (out may be x)
                float m = max(x, xOff, n);
                softmaxStats[statsOff] = m;
                softmaxStats[statsOff + cols] = (float) Math.log(sumExp(x, xOff, n, m));
            }
            softmaxRow(x, xOff, n, out, outOff);
            ScalarKernels.addLabelSums(out, outOff, n, 1, labels[labelsOff], stats, sums, sumsOff);
            return finite;
        }
        int bound = species().loopBound(cols);
        if (bound > 0) {
            finite = labelSumColumns(x, xOff, n, inner, cols, out, outOff, labels, labelsOff, stats, sums, sumsOff, softmaxStats, statsOff);
            // log s over the stored sums in a loop of its own, as softmaxAndLogSum
            if (softmaxStats != null) log(softmaxStats, statsOff + cols, softmaxStats, statsOff + cols, bound);
        }
        for (int j = bound; j < cols; j++) {
            // the tail columns: the softmax kernel's scalar column, then the scalar twin's sums
            for (int k = 0; k < n; k++) finite += x[xOff + k * inner + j] - x[xOff + k * inner + j];
            softmaxColumn(x, xOff + j, n, inner, out, outOff + j, softmaxStats, statsOff + j, statsOff + cols + j);
            ScalarKernels.addLabelSums(out, outOff + j, n, inner, labels[labelsOff + j], stats, sums, sumsOff);
        }
        return finite;
    }

    /**
     * softmaxLabelSums over the column blocks below bound (a multiple of the lanes): softmaxColumns'
     * arithmetic over every block, then per class one loop over the blocks' p (a chunk's p is still
     * in L1/L2) with the asked-for sums in lane accumulators that stay in registers (accumulating
     * them per block and class instead went through memory: about 15 % slower), reduced in lane
     * order into sums at the end. Returns Σ (x - x) of the blocks.
     */
    private float labelSumColumns(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                  int[] labels, int labelsOff, int stats, float[] sums, int sumsOff, float[] softmaxStats, int statsOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(cols);
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), size = LABEL_SUM_SLOTS * n * lanes;
        float[][] holder = LABEL_SUM_ACC.get();
        if (holder[0].length < size) holder[0] = new float[size];
        float[] acc = holder[0];
        java.util.Arrays.fill(acc, 0, size, 0f);
        boolean atLabel = (stats & SUM_AT_LABEL) != 0, all = (stats & SUM_ALL) != 0, squares = (stats & SUM_SQUARES) != 0;
        boolean error = (stats & SUM_ERROR_AT_LABEL) != 0, offSquares = (stats & SUM_SQUARES_OFF_LABEL) != 0;
        boolean count = (stats & COUNT_AT_LABEL) != 0;
        FloatVector one = FloatVector.broadcast(sp, 1f);
        // the softmax of every block (softmaxColumns' own body) with the finiteness sum from its loads
        float finite = softmaxBlocks(x, xOff, n, inner, cols, out, outOff, softmaxStats, statsOff, true);
        // the sums, class by class over the chunk's p (still in the cache): the accumulators stay in registers
        for (int k = 0; k < n; k++) {
            FloatVector aI = FloatVector.zero(sp), aP = aI, aQ = aI, aE = aI, aF = aI, aG = aI;
            for (int j = 0; j < bound; j += lanes) {
                FloatVector p = FloatVector.fromArray(sp, out, outOff + k * inner + j);
                VectorMask<Float> at = IntVector.fromArray(isp, labels, labelsOff + j).compare(EQ, k).cast(sp);
                if (atLabel) aI = aI.add(p, at);
                if (all) aP = aP.add(p);
                if (squares) aQ = p.fma(p, aQ);
                if (error) {
                    FloatVector e = one.sub(p);
                    aE = aE.add(e.mul(e), at);
                }
                if (offSquares) aF = aF.add(p.mul(p), at.not());
                if (count) aG = aG.add(one, at);
            }
            aI.intoArray(acc, k * lanes);
            aP.intoArray(acc, (n + k) * lanes);
            aQ.intoArray(acc, (2 * n + k) * lanes);
            aE.intoArray(acc, (3 * n + k) * lanes);
            aF.intoArray(acc, (4 * n + k) * lanes);
            aG.intoArray(acc, (5 * n + k) * lanes);
        }
        for (int slot = 0; slot < LABEL_SUM_SLOTS; slot++) {
            if ((stats & (1 << slot)) == 0) continue;
            for (int k = 0; k < n; k++) {
                float t = 0f;
                for (int l = 0, a = (slot * n + k) * lanes; l < lanes; l++) t += acc[a + l];   // lane order, as sumLanes
                sums[sumsOff + slot * n + k] = t;
            }
        }
        return finite;
    }

    /** The lane accumulators of one {@link #confusionTile} ([tile entry, lane]), per thread. */
    private static final ThreadLocal<float[][]> CONFUSION_ACC = ThreadLocal.withInitial(() -> new float[1][0]);

    /** Labels and classes per side of a {@link #confusionTile}: 4 x 4 lane accumulators stay in registers. */
    private static final int TILE = 4;

    @Override
    public float softmaxConfusionSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                      int[] labels, int labelsOff, float[] sums, int sumsOff) {
        java.util.Arrays.fill(sums, sumsOff, sumsOff + n * n + 1, 0f);
        float finite = 0f;
        if (inner == 1) {
            // one column of n contiguous values: the contiguous-row softmax (the softmax kernel's bits)
            for (int k = 0; k < n; k++) finite += x[xOff + k] - x[xOff + k];
            softmaxRow(x, xOff, n, out, outOff);
            ScalarKernels.addConfusionSums(out, outOff, n, 1, labels[labelsOff], sums, sumsOff);
            return finite;
        }
        int bound = species().loopBound(cols);
        if (bound > 0) {
            // the softmax of every block (softmaxColumns' own body) with the finiteness sum from its loads,
            // then the sums tile by tile over the chunk's p (still in the cache)
            finite = softmaxBlocks(x, xOff, n, inner, bound, out, outOff, null, 0, true);
            int count = 0;
            for (int g0 = 0; g0 < n; g0 += TILE) {
                for (int l0 = 0; l0 < n; l0 += TILE) {
                    int c = confusionTile(out, outOff, n, inner, bound, labels, labelsOff, g0, l0, g0 == 0 && l0 == 0, sums, sumsOff);
                    if (g0 == 0 && l0 == 0) count = c;
                }
            }
            sums[sumsOff + n * n] = count;
        }
        for (int j = bound; j < cols; j++) {
            // the tail columns: the softmax kernel's scalar column, then sumWhereEqual's scalar tail adds
            for (int k = 0; k < n; k++) finite += x[xOff + k * inner + j] - x[xOff + k * inner + j];
            softmaxColumn(x, xOff + j, n, inner, out, outOff + j, null, 0, 0);
            ScalarKernels.addConfusionSums(out, outOff + j, n, inner, labels[labelsOff + j], sums, sumsOff);
        }
        return finite;
    }

    /**
     * The confusion sums of one tile, labels g0 .. g0+3 against rows l0 .. l0+3 of p, over the column
     * blocks below bound: one lane accumulator per (label, row) pair, each sumWhereEqual's (the masked
     * adds block by block, then the lanes in order), all 16 in registers through one loop over the
     * blocks (4 loads of p and one of the labels per block instead of 16 of each). Rows past n repeat
     * row n - 1 and labels past n match only labels outside [0, n): both are computed and dropped.
     * With countLabels, returns the number of labels in [0, n) of the blocks, else 0.
     */
    private int confusionTile(float[] p, int pOff, int n, int inner, int bound, int[] labels, int labelsOff, int g0, int l0,
                              boolean countLabels, float[] sums, int sumsOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length();
        int r0 = pOff + l0 * inner, r1 = pOff + Math.min(l0 + 1, n - 1) * inner;
        int r2 = pOff + Math.min(l0 + 2, n - 1) * inner, r3 = pOff + Math.min(l0 + 3, n - 1) * inner;
        int g1 = g0 + 1, g2 = g0 + 2, g3 = g0 + 3, count = 0;
        FloatVector a00 = FloatVector.zero(sp), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int j = 0; j < bound; j += lanes) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            FloatVector p0 = FloatVector.fromArray(sp, p, r0 + j), p1 = FloatVector.fromArray(sp, p, r1 + j);
            FloatVector p2 = FloatVector.fromArray(sp, p, r2 + j), p3 = FloatVector.fromArray(sp, p, r3 + j);
            VectorMask<Float> m = y.compare(EQ, g0).cast(sp);
            a00 = a00.add(p0, m);
            a01 = a01.add(p1, m);
            a02 = a02.add(p2, m);
            a03 = a03.add(p3, m);
            m = y.compare(EQ, g1).cast(sp);
            a10 = a10.add(p0, m);
            a11 = a11.add(p1, m);
            a12 = a12.add(p2, m);
            a13 = a13.add(p3, m);
            m = y.compare(EQ, g2).cast(sp);
            a20 = a20.add(p0, m);
            a21 = a21.add(p1, m);
            a22 = a22.add(p2, m);
            a23 = a23.add(p3, m);
            m = y.compare(EQ, g3).cast(sp);
            a30 = a30.add(p0, m);
            a31 = a31.add(p1, m);
            a32 = a32.add(p2, m);
            a33 = a33.add(p3, m);
            if (countLabels) count += y.compare(ULT, n).trueCount();
        }
        float[][] holder = CONFUSION_ACC.get();
        if (holder[0].length < TILE * TILE * lanes) holder[0] = new float[TILE * TILE * lanes];
        float[] acc = holder[0];
        a00.intoArray(acc, 0);
        a01.intoArray(acc, lanes);
        a02.intoArray(acc, 2 * lanes);
        a03.intoArray(acc, 3 * lanes);
        a10.intoArray(acc, 4 * lanes);
        a11.intoArray(acc, 5 * lanes);
        a12.intoArray(acc, 6 * lanes);
        a13.intoArray(acc, 7 * lanes);
        a20.intoArray(acc, 8 * lanes);
        a21.intoArray(acc, 9 * lanes);
        a22.intoArray(acc, 10 * lanes);
        a23.intoArray(acc, 11 * lanes);
        a30.intoArray(acc, 12 * lanes);
        a31.intoArray(acc, 13 * lanes);
        a32.intoArray(acc, 14 * lanes);
        a33.intoArray(acc, 15 * lanes);
        for (int q = 0; q < TILE && g0 + q < n; q++) {
            for (int r = 0; r < TILE && l0 + r < n; r++) {
                float t = 0f;
                for (int i = 0, a = (q * TILE + r) * lanes; i < lanes; i++) t += acc[a + i];   // lane order, as sumLanes
                sums[sumsOff + (g0 + q) * n + l0 + r] = t;
            }
        }
        return count;
    }

    @Override
    public void softmaxLabelSumsBackward(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                         float[] coef, int coefOff, float[] a, int aOff, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), bound = inner == 1 ? 0 : sp.loopBound(cols);   // inner 1: one column, the scalar one
        if (n == 4 && bound > 0) {
            labelSumsBackward4(p, pOff, inner, bound, labels, labelsOff, coef, coefOff, a, aOff, out, outOff);
        } else if (bound > 0) {
            // gp of one column block, [n, lanes]: kept between the two loops (out may be p itself)
            float[][] holder = LABEL_SUM_ACC.get();
            if (holder[0].length < n * lanes) holder[0] = new float[n * lanes];
            float[] gp = holder[0];
            for (int j = 0; j < bound; j += lanes) {
                // the scalar twin's column arithmetic lane by lane (FMAs in the same places): the same
                // bits; with a, labelSoftmaxGradient's p·a − [y = k]·a added once at the end
                IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
                FloatVector d = FloatVector.zero(sp);
                for (int k = 0; k < n; k++) {
                    FloatVector v = FloatVector.fromArray(sp, p, pOff + k * inner + j);
                    FloatVector g = labelGradient(v, y.compare(EQ, k).cast(sp), coef, coefOff, n, k);
                    g.intoArray(gp, k * lanes);
                    d = v.fma(g, d);
                }
                for (int k = 0; k < n; k++) {
                    FloatVector v = FloatVector.fromArray(sp, p, pOff + k * inner + j);
                    FloatVector region = v.mul(FloatVector.fromArray(sp, gp, k * lanes).sub(d));
                    if (a == null) {
                        region.intoArray(out, outOff + k * inner + j);
                    } else {
                        FloatVector av = FloatVector.fromArray(sp, a, aOff + j);
                        FloatVector t = v.mul(av);
                        region.add(t.blend(t.sub(av), y.compare(EQ, k).cast(sp))).intoArray(out, outOff + k * inner + j);
                    }
                }
            }
        }
        for (int j = bound; j < cols; j++) {
            ScalarKernels.labelSumsBackwardColumn(p, pOff + j, n, inner, labels[labelsOff + j], coef, coefOff, a != null,
                    a != null ? a[aOff + j] : 0f, out, outOff + j);
        }
    }

    /**
     * softmaxLabelSumsBackward's column blocks below bound for n = 4 classes (the usual background
     * and three structures): the 16 label-chosen coefficients broadcast once per call and each
     * block's four p, gp and masks held in registers, where the general loop reloads the
     * coefficients, rebuilds the masks and passes gp through memory per class and block (a
     * throwaway harness on [2, 4, 64^3]: 0.26 against 0.71 ms on one thread). The same operations
     * per lane in the same order as that loop and the scalar twin: the same bits.
     */
    private void labelSumsBackward4(float[] p, int pOff, int inner, int bound, int[] labels, int labelsOff,
                                    float[] coef, int coefOff, float[] a, int aOff, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), o1 = inner, o2 = 2 * inner, o3 = 3 * inner;
        // coef rows (n = 4): constant off / at the label, slope off / at the label
        FloatVector c0 = FloatVector.broadcast(sp, coef[coefOff]), c1 = FloatVector.broadcast(sp, coef[coefOff + 1]);
        FloatVector c2 = FloatVector.broadcast(sp, coef[coefOff + 2]), c3 = FloatVector.broadcast(sp, coef[coefOff + 3]);
        FloatVector l0 = FloatVector.broadcast(sp, coef[coefOff + 4]), l1 = FloatVector.broadcast(sp, coef[coefOff + 5]);
        FloatVector l2 = FloatVector.broadcast(sp, coef[coefOff + 6]), l3 = FloatVector.broadcast(sp, coef[coefOff + 7]);
        FloatVector s0 = FloatVector.broadcast(sp, coef[coefOff + 8]), s1 = FloatVector.broadcast(sp, coef[coefOff + 9]);
        FloatVector s2 = FloatVector.broadcast(sp, coef[coefOff + 10]), s3 = FloatVector.broadcast(sp, coef[coefOff + 11]);
        FloatVector t0 = FloatVector.broadcast(sp, coef[coefOff + 12]), t1 = FloatVector.broadcast(sp, coef[coefOff + 13]);
        FloatVector t2 = FloatVector.broadcast(sp, coef[coefOff + 14]), t3 = FloatVector.broadcast(sp, coef[coefOff + 15]);
        FloatVector zero = FloatVector.zero(sp);
        for (int j = 0; j < bound; j += lanes) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            VectorMask<Float> m0 = y.compare(EQ, 0).cast(sp), m1 = y.compare(EQ, 1).cast(sp);
            VectorMask<Float> m2 = y.compare(EQ, 2).cast(sp), m3 = y.compare(EQ, 3).cast(sp);
            int i = pOff + j, o = outOff + j;
            FloatVector v0 = FloatVector.fromArray(sp, p, i), v1 = FloatVector.fromArray(sp, p, i + o1);
            FloatVector v2 = FloatVector.fromArray(sp, p, i + o2), v3 = FloatVector.fromArray(sp, p, i + o3);
            FloatVector g0 = v0.fma(s0.blend(t0, m0), c0.blend(l0, m0)), g1 = v1.fma(s1.blend(t1, m1), c1.blend(l1, m1));
            FloatVector g2 = v2.fma(s2.blend(t2, m2), c2.blend(l2, m2)), g3 = v3.fma(s3.blend(t3, m3), c3.blend(l3, m3));
            FloatVector d = v3.fma(g3, v2.fma(g2, v1.fma(g1, v0.fma(g0, zero))));
            FloatVector r0 = v0.mul(g0.sub(d)), r1 = v1.mul(g1.sub(d)), r2 = v2.mul(g2.sub(d)), r3 = v3.mul(g3.sub(d));
            if (a != null) {
                // labelSoftmaxGradient's p·a − [y = k]·a, added once
                FloatVector av = FloatVector.fromArray(sp, a, aOff + j);
                FloatVector e0 = v0.mul(av), e1 = v1.mul(av), e2 = v2.mul(av), e3 = v3.mul(av);
                r0 = r0.add(e0.blend(e0.sub(av), m0));
                r1 = r1.add(e1.blend(e1.sub(av), m1));
                r2 = r2.add(e2.blend(e2.sub(av), m2));
                r3 = r3.add(e3.blend(e3.sub(av), m3));
            }
            r0.intoArray(out, o);
            r1.intoArray(out, o + o1);
            r2.intoArray(out, o + o2);
            r3.intoArray(out, o + o3);
        }
    }

    /** gp of softmaxLabelSumsBackward for class k: fma(p, slope, constant), each chosen by the label. */
    private FloatVector labelGradient(FloatVector p, VectorMask<Float> at, float[] coef, int coefOff, int n, int k) {
        VectorSpecies<Float> sp = species();
        FloatVector a = FloatVector.broadcast(sp, coef[coefOff + k]).blend(coef[coefOff + n + k], at);
        FloatVector q = FloatVector.broadcast(sp, coef[coefOff + 2 * n + k]).blend(coef[coefOff + 3 * n + k], at);
        return p.fma(q, a);
    }

    /** The gp column of {@link #softmaxWeightedSumsBackward} for one voxel's contiguous row (inner 1), per thread. */
    private static final ThreadLocal<float[][]> WEIGHTED_ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    @Override
    public float softmaxWeightedSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                     float[] w, int wOff, int wStride, float[] sums, int sumsOff) {
        float finite = 0f;
        if (inner == 1) {
            // one column of n contiguous values: the contiguous-row softmax (the softmax kernel's bits)
            for (int k = 0; k < n; k++) finite += x[xOff + k] - x[xOff + k];
            softmaxRow(x, xOff, n, out, outOff);
        } else {
            // softmaxColumns' own body over the blocks, the finiteness sum from its max pass's loads
            int bound = species().loopBound(cols);
            if (bound > 0) finite = softmaxBlocks(x, xOff, n, inner, bound, out, outOff, null, 0, true);
            for (int j = bound; j < cols; j++) {
                for (int k = 0; k < n; k++) finite += x[xOff + k * inner + j] - x[xOff + k * inner + j];
                softmaxColumn(x, xOff + j, n, inner, out, outOff + j, null, 0, 0);
            }
        }
        // per class one dot over the chunk's p, still in the cache: the dot kernel's bits
        for (int k = 0; k < n; k++) sums[sumsOff + k] = dot(out, outOff + k * inner, w, wOff + k * wStride, cols);
        return finite;
    }

    @Override
    public void softmaxWeightedSumsBackward(float[] p, int pOff, int n, int inner, int cols, float[] w, int wOff, int wStride,
                                            float[] g, int gOff, float[] out, int outOff) {
        if (inner == 1) {
            // one voxel's contiguous row: softmaxBackward's row path on gp, as it is
            float[][] holder = WEIGHTED_ROW.get();
            if (holder[0].length < n) holder[0] = new float[n];
            float[] gp = holder[0];
            for (int k = 0; k < n; k++) gp[k] = 0f + g[gOff + k] * w[wOff + k * wStride];
            softmaxBackward(p, pOff, gp, 0, n, 1, 1, out, outOff);
            return;
        }
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(cols);
        if (n == 4 && bound > 0) {
            weightedSumsBackward4(p, pOff, inner, bound, w, wOff, wStride, g, gOff, out, outOff);
        } else {
            for (int j = 0; j < bound; j += sp.length()) {
                // softmaxBackwardColumns' arithmetic on gp = w g_k + 0 (triad's mul, then add), recomputed
                // from w in the second loop (out may be p; w's block is still in L1)
                FloatVector d = zero;
                for (int k = 0; k < n; k++) {
                    FloatVector gp = FloatVector.fromArray(sp, w, wOff + k * wStride + j).mul(g[gOff + k]).add(zero);
                    d = d.add(gp.mul(FloatVector.fromArray(sp, p, pOff + k * inner + j)));
                }
                for (int k = 0; k < n; k++) {
                    int i = k * inner + j;
                    FloatVector gp = FloatVector.fromArray(sp, w, wOff + k * wStride + j).mul(g[gOff + k]).add(zero);
                    FloatVector.fromArray(sp, p, pOff + i).mul(gp.sub(d)).intoArray(out, outOff + i);
                }
            }
        }
        for (int j = bound; j < cols; j++) {
            float d = 0f;
            for (int k = 0; k < n; k++) d += (0f + g[gOff + k] * w[wOff + k * wStride + j]) * p[pOff + k * inner + j];
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                out[outOff + i] = p[pOff + i] * ((0f + g[gOff + k] * w[wOff + k * wStride + j]) - d);
            }
        }
    }

    /**
     * softmaxWeightedSumsBackward's column blocks below bound for n = 4 classes: the four g_k
     * broadcast once per call, each block's p and gp held in registers (the general loop loads w
     * and p twice per class and block). The same operations per lane in the same order: the same bits.
     */
    private void weightedSumsBackward4(float[] p, int pOff, int inner, int bound, float[] w, int wOff, int wStride,
                                       float[] g, int gOff, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        float g0 = g[gOff], g1 = g[gOff + 1], g2 = g[gOff + 2], g3 = g[gOff + 3];
        int lanes = sp.length(), o1 = inner, o2 = 2 * inner, o3 = 3 * inner, w1 = wStride, w2 = 2 * wStride, w3 = 3 * wStride;
        for (int j = 0; j < bound; j += lanes) {
            int i = pOff + j, o = outOff + j, q = wOff + j;
            FloatVector v0 = FloatVector.fromArray(sp, p, i), v1 = FloatVector.fromArray(sp, p, i + o1);
            FloatVector v2 = FloatVector.fromArray(sp, p, i + o2), v3 = FloatVector.fromArray(sp, p, i + o3);
            FloatVector gp0 = FloatVector.fromArray(sp, w, q).mul(g0).add(zero), gp1 = FloatVector.fromArray(sp, w, q + w1).mul(g1).add(zero);
            FloatVector gp2 = FloatVector.fromArray(sp, w, q + w2).mul(g2).add(zero), gp3 = FloatVector.fromArray(sp, w, q + w3).mul(g3).add(zero);
            FloatVector d = zero.add(gp0.mul(v0)).add(gp1.mul(v1)).add(gp2.mul(v2)).add(gp3.mul(v3));
            v0.mul(gp0.sub(d)).intoArray(out, o);
            v1.mul(gp1.sub(d)).intoArray(out, o + o1);
            v2.mul(gp2.sub(d)).intoArray(out, o + o2);
            v3.mul(gp3.sub(d)).intoArray(out, o + o3);
        }
    }

    @Override
    public void triad(float[] a, int aOff, float s, float[] b, int bOff, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            // mul then add, not FMA: memory-bound anyway, and the twins then agree bit for bit
            FloatVector.fromArray(sp, b, bOff + i).mul(s).add(FloatVector.fromArray(sp, a, aOff + i))
                    .intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = a[aOff + i] + s * b[bOff + i];
    }

    @Override
    public void leakyRelu(float[] x, int xOff, float slope, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            FloatVector r = zero.blend(v, v.compare(GT, 0f));   // the spec's relu: a blend, not MAX (NaN, -0)
            // mul then add, not FMA, in the spec's order: the twins agree bit for bit
            v.sub(r).mul(slope).add(r).intoArray(out, outOff + i);
        }
        ScalarKernels.INSTANCE.leakyRelu(x, xOff + bound, slope, out, outOff + bound, n - bound);
    }

    @Override
    public void leakyReluGrad(float[] g, int gOff, float[] x, int xOff, float slope, float[] out, int outOff, int n) {
        VectorSpecies<Float> sp = species();
        FloatVector zero = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector gv = FloatVector.fromArray(sp, g, gOff + i);
            FloatVector p = zero.blend(gv, FloatVector.fromArray(sp, x, xOff + i).compare(GT, 0f));
            gv.sub(p).mul(slope).add(p).intoArray(out, outOff + i);
        }
        ScalarKernels.INSTANCE.leakyReluGrad(g, gOff + bound, x, xOff + bound, slope, out, outOff + bound, n - bound);
    }

    // ---- max pooling ---------------------------------------------------------------------------

    @Override
    public void maxPoolRow(float[] x, int r00, int r01, int r10, int r11, int xBase, int ow, float[] y, int yOff, int[] arg,
                           int argOff) {
        // NOTE: rows shorter than a vector (8 outputs at a 16^3 level on AVX-512) take the scalar
        // twin; a half-width block through a helper taking the species as a parameter boxed its
        // vectors (3-7x slower) and was dropped
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), bound = ow - ow % lanes;
        // lane i of a block takes input columns 2i (even) and 2i + 1 (odd) of two loaded vectors
        VectorShuffle<Float> even = VectorShuffle.fromOp(sp, i -> 2 * i), odd = VectorShuffle.fromOp(sp, i -> 2 * i + 1);
        IntVector twoLane = IntVector.zero(isp).addIndex(2);   // 0, 2, 4, ...: 2i in lane i
        for (int j = 0; j < bound; j += lanes) {
            int c = 2 * j;
            IntVector col = twoLane.add(c - xBase);
            FloatVector a = FloatVector.fromArray(sp, x, r00 + c), b = FloatVector.fromArray(sp, x, r00 + c + lanes);
            FloatVector m = a.rearrange(even, b);
            IntVector best = col.add(r00);
            // each later candidate in (kz, ky, kx) order: replace where greater, or NaN over a number
            FloatVector v = a.rearrange(odd, b);
            VectorMask<Float> take = v.compare(GT, m).or(v.test(IS_NAN).andNot(m.test(IS_NAN)));
            m = m.blend(v, take);
            best = best.blend(col.add(r00 + 1), take.cast(isp));
            for (int row = 1; row < 4; row++) {
                int r = row == 1 ? r01 : row == 2 ? r10 : r11;
                a = FloatVector.fromArray(sp, x, r + c);
                b = FloatVector.fromArray(sp, x, r + c + lanes);
                v = a.rearrange(even, b);
                take = v.compare(GT, m).or(v.test(IS_NAN).andNot(m.test(IS_NAN)));
                m = m.blend(v, take);
                best = best.blend(col.add(r), take.cast(isp));
                v = a.rearrange(odd, b);
                take = v.compare(GT, m).or(v.test(IS_NAN).andNot(m.test(IS_NAN)));
                m = m.blend(v, take);
                best = best.blend(col.add(r + 1), take.cast(isp));
            }
            m.intoArray(y, yOff + j);
            best.intoArray(arg, argOff + j);
        }
        ScalarKernels.INSTANCE.maxPoolRow(x, r00 + 2 * bound, r01 + 2 * bound, r10 + 2 * bound, r11 + 2 * bound, xBase,
                ow - bound, y, yOff + bound, arg, argOff + bound);
    }

    // ---- a normalisation's group statistics: GROUP_PARTIALS interleaved double partials ------------
    //
    // Partial s[j] (j = i mod 8) is lane j mod d of accumulator j / d, with d double lanes: one
    // accumulator at 8 lanes (AVX-512), two at 4, four at 2. Each lane is then the scalar twin's
    // running sum s[j], in the same order, so the twins agree bit for bit; the elementwise kernels
    // compute in double lanes exactly what the scalar twin computes in double.

    /** Floats x[i, i + d) widened to d double lanes (exact). */
    private DoubleVector widen(float[] x, int i) {
        return (DoubleVector) FloatVector.fromArray(halfSpecies(), x, i).convertShape(F2D, doubleSpecies(), 0);
    }

    /** The pairwise end of the GROUP_PARTIALS order over the accumulators' lanes (only the first 8 / d are used). */
    private double pairwise(DoubleVector a0, DoubleVector a1, DoubleVector a2, DoubleVector a3) {
        int d = doubleSpecies().length();
        double[] s = new double[GROUP_PARTIALS];
        a0.intoArray(s, 0);
        if (d < 8) a1.intoArray(s, d);
        if (d < 4) {
            a2.intoArray(s, 2 * d);
            a3.intoArray(s, 3 * d);
        }
        return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }

    @Override
    public double groupSum(float[] x, int xOff, int n) {
        VectorSpecies<Double> ds = doubleSpecies();
        int d = ds.length(), bound = n - n % GROUP_PARTIALS;
        DoubleVector a0 = DoubleVector.zero(ds), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < bound; i += GROUP_PARTIALS) {
            int o = xOff + i;
            a0 = a0.add(widen(x, o));
            if (d < 8) a1 = a1.add(widen(x, o + d));
            if (d < 4) {
                a2 = a2.add(widen(x, o + 2 * d));
                a3 = a3.add(widen(x, o + 3 * d));
            }
        }
        double tail = 0;
        for (int i = bound; i < n; i++) tail += x[xOff + i];
        return pairwise(a0, a1, a2, a3) + tail;
    }

    @Override
    public double groupSquaredDeviations(float[] x, int xOff, int n, double mean) {
        VectorSpecies<Double> ds = doubleSpecies();
        int d = ds.length(), bound = n - n % GROUP_PARTIALS;
        DoubleVector m = DoubleVector.broadcast(ds, mean), a0 = DoubleVector.zero(ds), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < bound; i += GROUP_PARTIALS) {
            int o = xOff + i;
            DoubleVector e0 = widen(x, o).sub(m);
            a0 = a0.add(e0.mul(e0));   // mul, then add: no FMA, as the scalar twin
            if (d < 8) {
                DoubleVector e1 = widen(x, o + d).sub(m);
                a1 = a1.add(e1.mul(e1));
            }
            if (d < 4) {
                DoubleVector e2 = widen(x, o + 2 * d).sub(m), e3 = widen(x, o + 3 * d).sub(m);
                a2 = a2.add(e2.mul(e2));
                a3 = a3.add(e3.mul(e3));
            }
        }
        double tail = 0;
        for (int i = bound; i < n; i++) {
            double e = x[xOff + i] - mean;
            tail += e * e;
        }
        return pairwise(a0, a1, a2, a3) + tail;
    }

    @Override
    public void groupSumAndDot(float[] a, int aOff, float[] b, int bOff, int n, double[] out, int outOff) {
        VectorSpecies<Double> ds = doubleSpecies();
        int d = ds.length(), bound = n - n % GROUP_PARTIALS;
        DoubleVector s0 = DoubleVector.zero(ds), s1 = s0, s2 = s0, s3 = s0, p0 = s0, p1 = s0, p2 = s0, p3 = s0;
        for (int i = 0; i < bound; i += GROUP_PARTIALS) {
            int o = aOff + i, q = bOff + i;
            DoubleVector v0 = widen(a, o);
            s0 = s0.add(v0);
            p0 = p0.add(v0.mul(widen(b, q)));   // the product of two floats is exact in double
            if (d < 8) {
                DoubleVector v1 = widen(a, o + d);
                s1 = s1.add(v1);
                p1 = p1.add(v1.mul(widen(b, q + d)));
            }
            if (d < 4) {
                DoubleVector v2 = widen(a, o + 2 * d), v3 = widen(a, o + 3 * d);
                s2 = s2.add(v2);
                s3 = s3.add(v3);
                p2 = p2.add(v2.mul(widen(b, q + 2 * d)));
                p3 = p3.add(v3.mul(widen(b, q + 3 * d)));
            }
        }
        double sTail = 0, pTail = 0;
        for (int i = bound; i < n; i++) {
            sTail += a[aOff + i];
            pTail += (double) a[aOff + i] * b[bOff + i];
        }
        out[outOff] = pairwise(s0, s1, s2, s3) + sTail;
        out[outOff + 1] = pairwise(p0, p1, p2, p3) + pTail;
    }

    @Override
    public void normalise(float[] x, int xOff, int n, double mean, double rstd, float gamma, float beta,
                          float[] xh, int xhOff, float[] y, int yOff) {
        VectorSpecies<Double> ds = doubleSpecies();
        VectorSpecies<Float> hs = halfSpecies();
        int d = ds.length(), bound = n - n % d;
        DoubleVector m = DoubleVector.broadcast(ds, mean), r = DoubleVector.broadcast(ds, rstd);
        FloatVector g = FloatVector.broadcast(hs, gamma), b = FloatVector.broadcast(hs, beta);
        for (int i = 0; i < bound; i += d) {
            FloatVector h = (FloatVector) widen(x, xOff + i).sub(m).mul(r).convertShape(D2F, hs, 0);
            h.intoArray(xh, xhOff + i);
            h.mul(g).add(b).intoArray(y, yOff + i);   // mul, then add: no FMA
        }
        ScalarKernels.INSTANCE.normalise(x, xOff + bound, n - bound, mean, rstd, gamma, beta, xh, xhOff + bound, y, yOff + bound);
    }

    @Override
    public void normaliseBackward(float[] dy, int dyOff, float[] xh, int xhOff, int n, double scale, double meanDy,
                                  double meanDyXh, float[] dx, int dxOff) {
        VectorSpecies<Double> ds = doubleSpecies();
        VectorSpecies<Float> hs = halfSpecies();
        int d = ds.length(), bound = n - n % d;
        DoubleVector k = DoubleVector.broadcast(ds, scale), mdy = DoubleVector.broadcast(ds, meanDy),
                mdyx = DoubleVector.broadcast(ds, meanDyXh);
        for (int i = 0; i < bound; i += d) {
            DoubleVector t = widen(dy, dyOff + i).sub(mdy).sub(widen(xh, xhOff + i).mul(mdyx));
            ((FloatVector) k.mul(t).convertShape(D2F, hs, 0)).intoArray(dx, dxOff + i);
        }
        ScalarKernels.INSTANCE.normaliseBackward(dy, dyOff + bound, xh, xhOff + bound, n - bound, scale, meanDy, meanDyXh,
                dx, dxOff + bound);
    }

    @Override
    public void normaliseLeakyRelu(float[] x, int xOff, int n, double mean, double rstd, float gamma, float beta, float slope,
                                   float[] xh, int xhOff, float[] y, int yOff) {
        VectorSpecies<Double> ds = doubleSpecies();
        VectorSpecies<Float> hs = halfSpecies();
        int d = ds.length(), bound = n - n % d;
        DoubleVector m = DoubleVector.broadcast(ds, mean), r = DoubleVector.broadcast(ds, rstd);
        FloatVector g = FloatVector.broadcast(hs, gamma), b = FloatVector.broadcast(hs, beta), zero = FloatVector.zero(hs);
        for (int i = 0; i < bound; i += d) {
            FloatVector h = (FloatVector) widen(x, xOff + i).sub(m).mul(r).convertShape(D2F, hs, 0);
            h.intoArray(xh, xhOff + i);
            FloatVector t = h.mul(g).add(b);                            // normalise's y: mul, then add
            FloatVector rl = zero.blend(t, t.compare(GT, 0f));          // leakyRelu's relu: a blend (NaN, -0)
            t.sub(rl).mul(slope).add(rl).intoArray(y, yOff + i);
        }
        ScalarKernels.INSTANCE.normaliseLeakyRelu(x, xOff + bound, n - bound, mean, rstd, gamma, beta, slope, xh, xhOff + bound,
                y, yOff + bound);
    }

    // NOTE: the leaky ReLU's gradient below is written out at every use instead of a helper: a
    // helper taking and returning vectors is inlined only when C2 finds it hot, and in about one
    // JVM run of six it did not, boxing every vector of the norm's backward (the U-Net step 40 ->
    // 60 ms on 2 threads). dy = p + slope (g - p), p = g where gamma h + beta > 0, else 0.

    @Override
    public void groupSumAndDotLeakyRelu(float[] g, int gOff, float[] xh, int xhOff, int n, float gamma, float beta, float slope,
                                        double[] out, int outOff) {
        VectorSpecies<Double> ds = doubleSpecies();
        VectorSpecies<Float> hs = halfSpecies();
        int d = ds.length(), bound = n - n % GROUP_PARTIALS;
        FloatVector zero = FloatVector.zero(hs);
        DoubleVector s0 = DoubleVector.zero(ds), s1 = s0, s2 = s0, s3 = s0, p0 = s0, p1 = s0, p2 = s0, p3 = s0;
        for (int i = 0; i < bound; i += GROUP_PARTIALS) {
            for (int part = 0; part < GROUP_PARTIALS; part += d) {
                // one block of d elements: partials part .. part + d - 1, accumulator part / d
                int o = gOff + i + part, q = xhOff + i + part;
                FloatVector h = FloatVector.fromArray(hs, xh, q), gv = FloatVector.fromArray(hs, g, o);
                FloatVector pv = zero.blend(gv, h.mul(gamma).add(beta).compare(GT, 0f));
                DoubleVector e = (DoubleVector) gv.sub(pv).mul(slope).add(pv).convertShape(F2D, ds, 0);
                DoubleVector eh = e.mul(h.convertShape(F2D, ds, 0));   // the product of two floats is exact in double
                if (part == 0) {
                    s0 = s0.add(e);
                    p0 = p0.add(eh);
                } else if (part == d) {
                    s1 = s1.add(e);
                    p1 = p1.add(eh);
                } else if (part == 2 * d) {
                    s2 = s2.add(e);
                    p2 = p2.add(eh);
                } else {
                    s3 = s3.add(e);
                    p3 = p3.add(eh);
                }
            }
        }
        double[] tail = new double[2];
        ScalarKernels.INSTANCE.groupSumAndDotLeakyRelu(g, gOff + bound, xh, xhOff + bound, n - bound, gamma, beta, slope, tail, 0);
        // the scalar twin's tail sums are running sums from 0 over the same elements: the same bits
        out[outOff] = pairwise(s0, s1, s2, s3) + tail[0];
        out[outOff + 1] = pairwise(p0, p1, p2, p3) + tail[1];
    }

    @Override
    public void normaliseBackwardLeakyRelu(float[] g, int gOff, float[] xh, int xhOff, int n, float gamma, float beta, float slope,
                                           double scale, double meanDy, double meanDyXh, float[] dx, int dxOff) {
        VectorSpecies<Double> ds = doubleSpecies();
        VectorSpecies<Float> hs = halfSpecies();
        int d = ds.length(), bound = n - n % d;
        FloatVector zero = FloatVector.zero(hs);
        DoubleVector k = DoubleVector.broadcast(ds, scale), mdy = DoubleVector.broadcast(ds, meanDy),
                mdyx = DoubleVector.broadcast(ds, meanDyXh);
        for (int i = 0; i < bound; i += d) {
            FloatVector h = FloatVector.fromArray(hs, xh, xhOff + i), gv = FloatVector.fromArray(hs, g, gOff + i);
            FloatVector pv = zero.blend(gv, h.mul(gamma).add(beta).compare(GT, 0f));
            DoubleVector dy = (DoubleVector) gv.sub(pv).mul(slope).add(pv).convertShape(F2D, ds, 0);
            DoubleVector t = dy.sub(mdy).sub(((DoubleVector) h.convertShape(F2D, ds, 0)).mul(mdyx));
            ((FloatVector) k.mul(t).convertShape(D2F, hs, 0)).intoArray(dx, dxOff + i);
        }
        ScalarKernels.INSTANCE.normaliseBackwardLeakyRelu(g, gOff + bound, xh, xhOff + bound, n - bound, gamma, beta, slope, scale,
                meanDy, meanDyXh, dx, dxOff + bound);
    }

    @Override
    public void fill(float[] out, int outOff, int n, float v) {
        VectorSpecies<Float> sp = species();
        FloatVector vv = FloatVector.broadcast(sp, v);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) vv.intoArray(out, outOff + i);
        for (int i = bound; i < n; i++) out[outOff + i] = v;
    }

    // ---- reductions -------------------------------------------------------------------------
    // Four independent accumulators: a vector add/FMA has a latency of ~4 cycles but issues
    // every cycle or two, so one accumulator chain would leave the FP units idle 3/4 of the time.
    // Then one accumulator for the remaining whole vectors, reduceLanes, and a scalar tail.

    @Override
    public float sum(float[] x, int xOff, int n) {
        VectorSpecies<Float> sp = species();
        int lanes = sp.length();
        FloatVector s0 = FloatVector.zero(sp), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        int bound4 = n - n % (4 * lanes);
        for (; i < bound4; i += 4 * lanes) {
            s0 = s0.add(FloatVector.fromArray(sp, x, xOff + i));
            s1 = s1.add(FloatVector.fromArray(sp, x, xOff + i + lanes));
            s2 = s2.add(FloatVector.fromArray(sp, x, xOff + i + 2 * lanes));
            s3 = s3.add(FloatVector.fromArray(sp, x, xOff + i + 3 * lanes));
        }
        for (int bound = sp.loopBound(n); i < bound; i += lanes) {
            s0 = s0.add(FloatVector.fromArray(sp, x, xOff + i));
        }
        float s = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += x[xOff + i];
        return s;
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        VectorSpecies<Float> sp = species();
        int lanes = sp.length();
        FloatVector s0 = FloatVector.zero(sp), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        int bound4 = n - n % (4 * lanes);
        // FMA: one rounding per term, more accurate and faster than mul + add on any x86 with
        // AVX2/AVX-512 and on ARM (the only targets of the wide species)
        for (; i < bound4; i += 4 * lanes) {
            s0 = FloatVector.fromArray(sp, a, aOff + i).fma(FloatVector.fromArray(sp, b, bOff + i), s0);
            s1 = FloatVector.fromArray(sp, a, aOff + i + lanes)
                    .fma(FloatVector.fromArray(sp, b, bOff + i + lanes), s1);
            s2 = FloatVector.fromArray(sp, a, aOff + i + 2 * lanes)
                    .fma(FloatVector.fromArray(sp, b, bOff + i + 2 * lanes), s2);
            s3 = FloatVector.fromArray(sp, a, aOff + i + 3 * lanes)
                    .fma(FloatVector.fromArray(sp, b, bOff + i + 3 * lanes), s3);
        }
        for (int bound = sp.loopBound(n); i < bound; i += lanes) {
            s0 = FloatVector.fromArray(sp, a, aOff + i).fma(FloatVector.fromArray(sp, b, bOff + i), s0);
        }
        float s = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public float max(float[] x, int xOff, int n) {
        VectorSpecies<Float> sp = species();
        int lanes = sp.length();
        // MAX lanes and reduceLanes(MAX) have Math.max semantics: NaN sticks, -0 < +0
        FloatVector m0 = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        int bound4 = n - n % (4 * lanes);
        for (; i < bound4; i += 4 * lanes) {
            m0 = m0.max(FloatVector.fromArray(sp, x, xOff + i));
            m1 = m1.max(FloatVector.fromArray(sp, x, xOff + i + lanes));
            m2 = m2.max(FloatVector.fromArray(sp, x, xOff + i + 2 * lanes));
            m3 = m3.max(FloatVector.fromArray(sp, x, xOff + i + 3 * lanes));
        }
        for (int bound = sp.loopBound(n); i < bound; i += lanes) {
            m0 = m0.max(FloatVector.fromArray(sp, x, xOff + i));
        }
        float m = m0.max(m1).max(m2.max(m3)).reduceLanes(MAX);
        for (; i < n; i++) m = Math.max(m, x[xOff + i]);
        return m;
    }

    @Override
    public float min(float[] x, int xOff, int n) {
        VectorSpecies<Float> sp = species();
        int lanes = sp.length();
        FloatVector m0 = FloatVector.broadcast(sp, Float.POSITIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        int bound4 = n - n % (4 * lanes);
        for (; i < bound4; i += 4 * lanes) {
            m0 = m0.min(FloatVector.fromArray(sp, x, xOff + i));
            m1 = m1.min(FloatVector.fromArray(sp, x, xOff + i + lanes));
            m2 = m2.min(FloatVector.fromArray(sp, x, xOff + i + 2 * lanes));
            m3 = m3.min(FloatVector.fromArray(sp, x, xOff + i + 3 * lanes));
        }
        for (int bound = sp.loopBound(n); i < bound; i += lanes) {
            m0 = m0.min(FloatVector.fromArray(sp, x, xOff + i));
        }
        float m = m0.min(m1).min(m2.min(m3)).reduceLanes(MIN);
        for (; i < n; i++) m = Math.min(m, x[xOff + i]);
        return m;
    }

    /**
     * One step of a column's running max from -∞ over the classes: v where v &gt; m or v is NaN,
     * else m. The same value as {@code m.max(v)} (Math.max: NaN sticks) but for the sign of a zero
     * at a tie of -0 and +0, where this keeps the first; the softmax kernels use m only as
     * x - m and m + log s, in which that sign never shows (x - m is ±0 only where x is a zero,
     * whose exp is 1 either way, and a tie of two zeros makes s ≥ 2, so log s ≠ 0). A compare and
     * a blend: the MAX lane op with Java's semantics is a five-instruction sequence on x86 (no
     * native IEEE max there); the blend takes 10-20 % off a 4-class softmax kernel.
     */
    private static FloatVector columnMax(FloatVector m, FloatVector v) {
        return m.blend(v, v.compare(GT, m).or(v.test(IS_NAN)));
    }

    /**
     * The lanes of v added in lane order. NOTE: not {@code reduceLanes(ADD)}: its order is
     * unspecified and differs between the JDK's Java fallback (interpreter, C1) and the C2
     * intrinsic, so a sum would change in the last bit once the loop gets compiled. Lane-wise
     * vector adds are exact IEEE operations in every tier; this fixed-order tail keeps the
     * whole reduction identical in every tier. It runs once per call, so its cost is nil.
     */
    private float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0f;
        for (float x : lanes) s += x;
        return s;
    }

    // ---- exp and log as plain arithmetic --------------------------------------------------------
    // NOTE: not lanewise(EXP) / lanewise(LOG). Those are SVML intrinsics once C2 compiles the loop,
    // but a Java fallback before that (interpreter, C1), and the two differ in the last bit for
    // about 1 % of inputs: a result would then depend on when the JIT got to a loop, and a
    // training run would not repeat bit for bit. exp and log below use only adds, multiplies,
    // FMAs, compares, blends and bit moves, which are exact IEEE operations in every tier.

    /** Above this e^x overflows float (ln Float.MAX_VALUE, rounded down to a float). */
    private static final float EXP_HI = 88.72283905206835f;
    /** Below this e^x rounds to 0 (ln 2^-150, half the smallest subnormal). */
    private static final float EXP_LO = -103.97208f;
    /**
     * |x| <= this takes exp's one-shift path: n = round(x / ln 2) then lies in [-126, 126], so
     * 2^n is a normal float built by one shift into the exponent bits.
     */
    private static final float EXP_FAST = 87.0f;
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /**
     * 1.5 * 2^23 + 127. fma(x, log2 e, this) rounds x / ln 2 to the nearest integer n in the
     * float's low mantissa bits: its bits are 0x4B40007F + n, so the bits shifted left by 23 are
     * (n + 127) << 23, the exponent field of 2^n (the higher bits shift out).
     */
    private static final float EXP_SHIFTER = 12583039f;
    private static final int EXP_SHIFTER_BITS = 0x4B40007F;

    /**
     * e^x lane by lane, at most 1 ulp from the scalar kernels' {@code (float) Math.exp(x)} over
     * every float input ({@code VectorExpAccuracyTest}, spec/numerics.md); +Infinity above
     * ln(Float.MAX_VALUE), correctly scaled subnormals, 0 below ln 2^-150, NaN stays NaN,
     * e^-inf = 0.
     *
     * <p>x = n ln 2 + r with |r| <= ln2 / 2 (ln 2 in two parts: n * LN2_HI is exact, so r
     * carries only the rounding of n * LN2_LO), e^r by a degree-6 minimax polynomial (relative error 3.1e-9, 0.03 ulp; Remez
     * exchange on the relative error, coefficients rounded to float), times 2^n. When every lane
     * has |x| <= 87 (softmax shifts by the max, so nearly always), 2^n is one shift and the product
     * one FMA with the +1 of the polynomial ({@link #expFast}); otherwise the whole vector takes {@link #expWide}, which gives the same bits
     * on those lanes.
     */
    FloatVector exp(FloatVector x) {
        // false for NaN too, which therefore takes the wide path
        if (!x.abs().compare(LE, EXP_FAST).allTrue()) return expWide(x);
        return expFast(x);
    }

    /**
     * {@link #exp} of x &lt;= 0 (a softmax's shifted logits x - max): the same bits, one test fewer
     * (x >= -87 is |x| <= 87 there; false for NaN, which takes the wide path).
     */
    private FloatVector expNonPositive(FloatVector x) {
        if (!x.compare(GE, -EXP_FAST).allTrue()) return expWide(x);
        return expFast(x);
    }

    /**
     * exp's one-shift path, for |x| <= EXP_FAST: 2^n + 2^n (e^r - 1) in one FMA. The same bits as
     * (1 + (e^r - 1)) · 2^n rounded twice, because the result is a normal float here (|x| <= 87),
     * where scaling by 2^n commutes with rounding: one operation fewer per exponential (checked
     * for every float with |x| <= 87 when it was introduced; VectorExpAccuracyTest holds it to Math.exp).
     */
    private FloatVector expFast(FloatVector x) {
        FloatVector t = x.fma(LOG2E, EXP_SHIFTER);
        FloatVector pm1 = expOfReducedMinusOne(x, t.sub(EXP_SHIFTER));
        FloatVector twoN = t.reinterpretAsInts().lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23).reinterpretAsFloats();
        return pm1.fma(twoN, twoN);
    }

    /**
     * e^x for any x: x clamped to [EXP_LO, EXP_HI], so n lies in [-150, 128], and 2^n in two
     * halves that are each a normal float. For |x| <= 87 the first product is exact and the
     * second rounds once, like exp's single product: the same bits.
     */
    private FloatVector expWide(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);                      // NaN propagates through max/min
        FloatVector t = xc.fma(LOG2E, EXP_SHIFTER);
        FloatVector p = expOfReduced(xc, t.sub(EXP_SHIFTER));
        IntVector n = t.reinterpretAsInts().sub(EXP_SHIFTER_BITS);
        IntVector n1 = n.lanewise(jdk.incubator.vector.VectorOperators.ASHR, 1), n2 = n.sub(n1);
        FloatVector p1 = n1.add(127).lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector p2 = n2.add(127).lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = p.mul(p1).mul(p2);
        e = e.blend(Float.POSITIVE_INFINITY, x.compare(GT, EXP_HI));
        return e.blend(0f, x.compare(LT, EXP_LO));
    }

    /** e^r with r = x - n ln 2, |r| <= ln2 / 2: 1 + (r + r² q(r)), q of degree 4. */
    private FloatVector expOfReduced(FloatVector x, FloatVector n) {
        return expOfReducedMinusOne(x, n).add(1f);
    }

    /** e^r - 1 with r = x - n ln 2, |r| <= ln2 / 2: r + r² q(r), q of degree 4. */
    private FloatVector expOfReducedMinusOne(FloatVector x, FloatVector n) {
        VectorSpecies<Float> sp = species();
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), x);    // exact: LN2_HI has 9 bits
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector q = r.fma(1.3814610e-3f, 8.3687110e-3f);
        q = q.fma(r, FloatVector.broadcast(sp, 4.1668389e-2f));
        q = q.fma(r, FloatVector.broadcast(sp, 1.6666521e-1f));
        q = q.fma(r, FloatVector.broadcast(sp, 4.9999994e-1f));
        return q.fma(r.mul(r), r);
    }

    /** ln x lane by lane; -Infinity at 0, NaN below 0 and for NaN, +Infinity at +Infinity. */
    FloatVector log(FloatVector x) {
        // every lane a positive normal finite float (e.g. a softmax's sum, in [1, C]): none of the
        // special-case blends of logAnyFloat changes a bit, so skip them; false for NaN. NOTE: kept
        // this small (and logOfNormal under C2's hot-inlining limit of 325 bytecodes) so that both
        // inline into hot loops: a vector helper left out of line boxes its vectors on every call.
        return x.compare(GE, Float.MIN_NORMAL).and(x.compare(LT, Float.POSITIVE_INFINITY)).allTrue() ? logOfNormal(x) : logAnyFloat(x);
    }

    /** {@link #log(FloatVector)} for any lanes: subnormals scaled first, 0, +∞ and NaN blended in. */
    private FloatVector logAnyFloat(FloatVector x) {
        VectorSpecies<Float> sp = species();
        // subnormals: scale into the normal range first (2^23), and take 23 off the exponent
        VectorMask<Float> tiny = x.compare(LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(8388608f), tiny);
        IntVector bits = xs.reinterpretAsInts();
        IntVector eRaw = bits.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 23).and(0xff).sub(126);
        FloatVector e = ((FloatVector) eRaw.convertShape(jdk.incubator.vector.VectorOperators.I2F, sp, 0))
                .sub(FloatVector.zero(sp).blend(23f, tiny));
        FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats();   // mantissa in [0.5, 1)
        VectorMask<Float> low = m.compare(LT, 0.707106781186547524f);
        e = e.sub(FloatVector.zero(sp).blend(1f, low));
        FloatVector t = m.add(FloatVector.zero(sp).blend(m, low)).sub(1f);   // 2m - 1 when m < sqrt(1/2), else m - 1
        FloatVector z = t.mul(t);
        FloatVector y = t.mul(7.0376836292e-2f).add(-1.1514610310e-1f);
        y = y.fma(t, FloatVector.broadcast(sp, 1.1676998740e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, -1.2420140846e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, 1.4249322787e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, -1.6668057665e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, 2.0000714765e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, -2.4999993993e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, 3.3333331174e-1f));
        y = y.mul(t).mul(z);
        y = e.fma(FloatVector.broadcast(sp, LN2_LO), y);
        y = z.fma(FloatVector.broadcast(sp, -0.5f), y);
        FloatVector r = t.add(y);
        r = e.fma(FloatVector.broadcast(sp, LN2_HI), r);
        r = r.blend(Float.NEGATIVE_INFINITY, x.compare(EQ, 0f));
        r = r.blend(Float.POSITIVE_INFINITY, x.compare(EQ, Float.POSITIVE_INFINITY));
        return r.blend(Float.NaN, x.compare(LT, 0f).or(x.compare(NE, x)));
    }

    /**
     * {@link #log(FloatVector)} when every lane is a positive normal finite float: the same
     * operations without the subnormal scaling (a no-op there) and the 0, +∞ and NaN blends (which
     * select nothing there), so the same bits.
     */
    private FloatVector logOfNormal(FloatVector x) {
        VectorSpecies<Float> sp = species();
        IntVector bits = x.reinterpretAsInts();
        IntVector eRaw = bits.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 23).and(0xff).sub(126);
        FloatVector e = (FloatVector) eRaw.convertShape(jdk.incubator.vector.VectorOperators.I2F, sp, 0);
        FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats();   // mantissa in [0.5, 1)
        VectorMask<Float> low = m.compare(LT, 0.707106781186547524f);
        e = e.sub(FloatVector.zero(sp).blend(1f, low));
        FloatVector t = m.add(FloatVector.zero(sp).blend(m, low)).sub(1f);   // 2m - 1 when m < sqrt(1/2), else m - 1
        FloatVector z = t.mul(t);
        FloatVector y = t.mul(7.0376836292e-2f).add(-1.1514610310e-1f);
        y = y.fma(t, FloatVector.broadcast(sp, 1.1676998740e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, -1.2420140846e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, 1.4249322787e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, -1.6668057665e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, 2.0000714765e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, -2.4999993993e-1f));
        y = y.fma(t, FloatVector.broadcast(sp, 3.3333331174e-1f));
        y = y.mul(t).mul(z);
        y = e.fma(FloatVector.broadcast(sp, LN2_LO), y);
        y = z.fma(FloatVector.broadcast(sp, -0.5f), y);
        return e.fma(FloatVector.broadcast(sp, LN2_HI), t.add(y));
    }

    // ---- along an axis ----------------------------------------------------------------------
    // [n, inner], element (k, j) at off + k*inner + j, columns j in [0, cols). One vector holds the
    // running max / sum of `lanes` adjacent columns while k walks down the n rows (all passes
    // over a column block stay in L1); columns past loopBound(cols) take the scalar spec. For
    // inner == 1 the axis is one contiguous row and is vectorised along k. For 1 < inner < lanes
    // every column is scalar: each would need a strided gather.

    @Override
    public void softmax(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        if (inner == 1) {
            softmaxRow(x, xOff, n, out, outOff);
            return;
        }
        for (int j = softmaxColumns(x, xOff, n, inner, cols, out, outOff, null, 0); j < cols; j++) {
            softmaxColumn(x, xOff + j, n, inner, out, outOff + j, null, 0, 0);
        }
    }

    /**
     * Softmax of the column blocks below loopBound(cols); returns the first tail column. With
     * stats (softmaxAndLogSum), each block's m and s (the sum of its exponentials) are stored at
     * stats[statsOff + j] and stats[statsOff + cols + j].
     */
    private int softmaxColumns(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                               float[] stats, int statsOff) {
        softmaxBlocks(x, xOff, n, inner, cols, out, outOff, stats, statsOff, false);
        return species().loopBound(cols);
    }

    /**
     * The body of {@link #softmaxColumns}; with {@code finiteSum}, also Σ (x - x) over the blocks'
     * logits from the loads of the max pass (NaN exactly when one of them is NaN or infinite:
     * softmaxLabelSums' finiteness check), else 0.
     */
    private float softmaxBlocks(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                float[] stats, int statsOff, boolean finiteSum) {
        VectorSpecies<Float> sp = species();
        FloatVector one = FloatVector.broadcast(sp, 1f), fin = FloatVector.zero(sp);
        int bound = sp.loopBound(cols);
        for (int j = 0; j < bound; j += sp.length()) {
            FloatVector m = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int k = 0; k < n; k++) {
                FloatVector v = FloatVector.fromArray(sp, x, xOff + k * inner + j);
                m = columnMax(m, v);
                if (finiteSum) fin = fin.add(v.sub(v));
            }
            FloatVector s = FloatVector.zero(sp);
            for (int k = 0; k < n; k++) {
                FloatVector e = expNonPositive(FloatVector.fromArray(sp, x, xOff + k * inner + j).sub(m));
                e.intoArray(out, outOff + k * inner + j);
                s = s.add(e);
            }
            FloatVector inv = one.div(s);
            for (int k = 0; k < n; k++) {
                int o = outOff + k * inner + j;
                FloatVector.fromArray(sp, out, o).mul(inv).intoArray(out, o);
            }
            if (stats != null) {
                m.intoArray(stats, statsOff + j);
                s.intoArray(stats, statsOff + cols + j);
            }
        }
        return finiteSum ? sumLanes(fin) : 0f;
    }

    /** Softmax of one contiguous row of n. */
    private void softmaxRow(float[] x, int xOff, int n, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        float m = max(x, xOff, n);
        FloatVector vm = FloatVector.broadcast(sp, m);
        // one accumulator suffices here: the EXP intrinsic, not the add chain, sets the pace
        FloatVector acc = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector e = expNonPositive(FloatVector.fromArray(sp, x, xOff + i).sub(vm));
            e.intoArray(out, outOff + i);
            acc = acc.add(e);
        }
        float s = sumLanes(acc);
        for (int i = bound; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - m);
            out[outOff + i] = e;
            s += e;
        }
        scale(out, outOff, n, 1f / s);
    }

    /** out[i] *= f. */
    private void scale(float[] out, int outOff, int n, float f) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, out, outOff + i).mul(f).intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] *= f;
    }

    /**
     * The scalar spec for one column with the given row stride; with stats, its m and log s go to
     * stats[m] and stats[logS] (logSoftmaxColumn's s: the same adds).
     */
    private static void softmaxColumn(float[] x, int xOff, int n, int stride, float[] out, int outOff,
                                      float[] stats, int mAt, int logSAt) {
        float m = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) m = Math.max(m, x[xOff + k * stride]);
        float s = 0f;
        for (int k = 0; k < n; k++) {
            float e = (float) Math.exp(x[xOff + k * stride] - m);
            out[outOff + k * stride] = e;
            s += e;
        }
        float inv = 1f / s;
        for (int k = 0; k < n; k++) out[outOff + k * stride] *= inv;
        if (stats != null) {
            stats[mAt] = m;
            stats[logSAt] = (float) Math.log(s);
        }
    }

    @Override
    public void logSoftmax(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        if (inner == 1) {
            float m = max(x, xOff, n);
            float logS = (float) Math.log(sumExp(x, xOff, n, m));
            shiftTwice(x, xOff, n, m, logS, out, outOff);
            return;
        }
        for (int j = logSoftmaxColumns(x, xOff, n, inner, cols, out, outOff); j < cols; j++) {
            logSoftmaxColumn(x, xOff + j, n, inner, out, outOff + j);
        }
    }

    /** Log-softmax of the column blocks below loopBound(cols); returns the first tail column. */
    private int logSoftmaxColumns(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(cols);
        for (int j = 0; j < bound; j += sp.length()) {
            FloatVector m = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int k = 0; k < n; k++) m = columnMax(m, FloatVector.fromArray(sp, x, xOff + k * inner + j));
            FloatVector s = FloatVector.zero(sp);
            for (int k = 0; k < n; k++) {
                s = s.add(expNonPositive(FloatVector.fromArray(sp, x, xOff + k * inner + j).sub(m)));
            }
            FloatVector logS = log(s);
            for (int k = 0; k < n; k++) {
                FloatVector.fromArray(sp, x, xOff + k * inner + j).sub(m).sub(logS).intoArray(out, outOff + k * inner + j);
            }
        }
        return bound;
    }

    /** sum_i exp(x[i] - m) over a contiguous row. */
    private float sumExp(float[] x, int xOff, int n, float m) {
        VectorSpecies<Float> sp = species();
        FloatVector vm = FloatVector.broadcast(sp, m);
        FloatVector acc = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            acc = acc.add(expNonPositive(FloatVector.fromArray(sp, x, xOff + i).sub(vm)));
        }
        float s = sumLanes(acc);
        for (int i = bound; i < n; i++) s += (float) Math.exp(x[xOff + i] - m);
        return s;
    }

    /**
     * out[i] = (x[i] - m) - logS: log-softmax subtracts the max first and log s second, never
     * m + log s, which rounds log s away at |m| >= 1e6 (spec/numerics.md).
     */
    private void shiftTwice(float[] x, int xOff, int n, float m, float logS, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, x, xOff + i).sub(m).sub(logS).intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = (x[xOff + i] - m) - logS;
    }

    /** The scalar spec for one column. */
    private static void logSoftmaxColumn(float[] x, int xOff, int n, int stride, float[] out, int outOff) {
        float m = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) m = Math.max(m, x[xOff + k * stride]);
        float s = 0f;
        for (int k = 0; k < n; k++) s += (float) Math.exp(x[xOff + k * stride] - m);
        float logS = (float) Math.log(s);
        for (int k = 0; k < n; k++) out[outOff + k * stride] = (x[xOff + k * stride] - m) - logS;
    }

    @Override
    public void softmaxAndLogSum(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff, float[] stats, int statsOff) {
        if (inner == 1) {
            // one contiguous row: the softmax's and the log-softmax's row paths, each as they are
            float m = max(x, xOff, n);
            softmaxRow(x, xOff, n, out, outOff);
            stats[statsOff] = m;
            stats[statsOff + cols] = (float) Math.log(sumExp(x, xOff, n, m));
            return;
        }
        int bound = softmaxColumns(x, xOff, n, inner, cols, out, outOff, stats, statsOff);
        // log s over the stored sums, lane for lane the log of logSoftmaxColumns; NOTE: a loop of its
        // own, as inside the column loop (exp inlined) C2 would call log's polynomial out of line
        log(stats, statsOff + cols, stats, statsOff + cols, bound);
        for (int j = bound; j < cols; j++) {
            softmaxColumn(x, xOff + j, n, inner, out, outOff + j, stats, statsOff + j, statsOff + cols + j);
        }
    }

    @Override
    public float sumLogSoftmaxWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, float[] stats, int mOff,
                                         int logSOff, int n) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        // acc: sumWhereEqual's masked accumulation over (x - m) - logS; nan: x - x, NaN exactly at NaN or ±∞
        FloatVector acc = FloatVector.zero(sp), nan = FloatVector.zero(sp);
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            VectorMask<Float> m = IntVector.fromArray(isp, labels, labelsOff + i).compare(EQ, label).cast(sp);
            FloatVector v = FloatVector.fromArray(sp, x, xOff + i);
            FloatVector lp = v.sub(FloatVector.fromArray(sp, stats, mOff + i)).sub(FloatVector.fromArray(sp, stats, logSOff + i));
            acc = acc.add(lp, m);
            nan = nan.add(v.sub(v));
        }
        return finishPick(sumLanes(acc), sumLanes(nan), labels, labelsOff, label, x, xOff, stats, mOff, logSOff, bound, n);
    }

    /**
     * For n = 4 classes one pass over the blocks with the four classes' accumulators (the labels,
     * m and log s read once, where four calls read them four times); each accumulator takes the
     * blocks in order and is reduced and finished as in {@link #sumLogSoftmaxWhereEqual}: the same
     * bits. Other n: the per-class calls.
     */
    @Override
    public void sumLogSoftmaxPerClass(int[] labels, int labelsOff, int ignoreIndex, float[] x, int xOff, int n, int inner,
                                      float[] stats, int mOff, int logSOff, int cols, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int bound = sp.loopBound(cols);
        if (n != 4 || bound == 0) {
            Kernels.super.sumLogSoftmaxPerClass(labels, labelsOff, ignoreIndex, x, xOff, n, inner, stats, mOff, logSOff, cols, out, outOff);
            return;
        }
        int l0 = ignoreIndex == 0 ? Integer.MIN_VALUE : 0, l1 = ignoreIndex == 1 ? Integer.MIN_VALUE : 1;
        int l2 = ignoreIndex == 2 ? Integer.MIN_VALUE : 2, l3 = ignoreIndex == 3 ? Integer.MIN_VALUE : 3;
        int o1 = inner, o2 = 2 * inner, o3 = 3 * inner;
        FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0, n0 = a0, n1 = a0, n2 = a0, n3 = a0;
        for (int i = 0; i < bound; i += sp.length()) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + i);
            FloatVector m = FloatVector.fromArray(sp, stats, mOff + i), logS = FloatVector.fromArray(sp, stats, logSOff + i);
            int at = xOff + i;
            FloatVector v0 = FloatVector.fromArray(sp, x, at), v1 = FloatVector.fromArray(sp, x, at + o1);
            FloatVector v2 = FloatVector.fromArray(sp, x, at + o2), v3 = FloatVector.fromArray(sp, x, at + o3);
            a0 = a0.add(v0.sub(m).sub(logS), y.compare(EQ, l0).cast(sp));
            a1 = a1.add(v1.sub(m).sub(logS), y.compare(EQ, l1).cast(sp));
            a2 = a2.add(v2.sub(m).sub(logS), y.compare(EQ, l2).cast(sp));
            a3 = a3.add(v3.sub(m).sub(logS), y.compare(EQ, l3).cast(sp));
            n0 = n0.add(v0.sub(v0));
            n1 = n1.add(v1.sub(v1));
            n2 = n2.add(v2.sub(v2));
            n3 = n3.add(v3.sub(v3));
        }
        // the lane sums here, not in a helper: a vector passed to a helper C2 leaves out of line is boxed
        float s0 = sumLanes(a0), s1 = sumLanes(a1), s2 = sumLanes(a2), s3 = sumLanes(a3);
        float z0 = sumLanes(n0), z1 = sumLanes(n1), z2 = sumLanes(n2), z3 = sumLanes(n3);
        out[outOff] = finishPick(s0, z0, labels, labelsOff, l0, x, xOff, stats, mOff, logSOff, bound, cols);
        out[outOff + 1] = finishPick(s1, z1, labels, labelsOff, l1, x, xOff + o1, stats, mOff, logSOff, bound, cols);
        out[outOff + 2] = finishPick(s2, z2, labels, labelsOff, l2, x, xOff + o2, stats, mOff, logSOff, bound, cols);
        out[outOff + 3] = finishPick(s3, z3, labels, labelsOff, l3, x, xOff + o3, stats, mOff, logSOff, bound, cols);
    }

    /**
     * The end of a pick (sumLogSoftmaxWhereEqual, sumLogSoftmaxPerClass) from its lane sums s and
     * nanSum: the columns from bound on, then NaN if a logit was NaN or ±∞.
     */
    private static float finishPick(float s, float nanSum, int[] labels, int labelsOff, int label, float[] x, int xOff,
                                    float[] stats, int mOff, int logSOff, int bound, int n) {
        boolean finite = !Float.isNaN(nanSum);
        for (int i = bound; i < n; i++) {
            float v = x[xOff + i];
            finite &= Float.isFinite(v);
            if (labels[labelsOff + i] == label) s += (v - stats[mOff + i]) - stats[logSOff + i];
        }
        return finite ? s : Float.NaN;
    }

    @Override
    public void crossEntropyGradient(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                     float[] scaledWeight, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        // inner == 1 is one voxel's contiguous row of n classes (cols == 1): the scalar columns below
        int bound = inner == 1 ? 0 : sp.loopBound(cols);
        int done = 0;   // column blocks already done
        if (n == 4 && bound > 0) {
            crossEntropyGradient4(p, pOff, inner, bound, labels, labelsOff, scaledWeight, out, outOff);
            done = bound;
        }
        for (int j = done; j < bound; j += sp.length()) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            FloatVector a = FloatVector.zero(sp);   // scaledWeight[y_j]; 0 where y_j is no class
            for (int k = 0; k < n; k++) a = a.blend(FloatVector.broadcast(sp, scaledWeight[k]), y.compare(EQ, k).cast(sp));
            for (int k = 0; k < n; k++) {
                FloatVector t = FloatVector.fromArray(sp, p, pOff + k * inner + j).mul(a);
                t.blend(t.sub(a), y.compare(EQ, k).cast(sp)).intoArray(out, outOff + k * inner + j);
            }
        }
        for (int j = bound; j < cols; j++) {
            ScalarKernels.crossEntropyGradientColumn(p, pOff + j, n, inner, labels[labelsOff + j], scaledWeight, out, outOff + j);
        }
    }

    /**
     * crossEntropyGradient's column blocks below bound for n = 4 classes: the four weights
     * broadcast once per call and each block's four label masks made once (the general loop makes
     * them twice per class and block). The same operations per lane: the same bits.
     */
    private void crossEntropyGradient4(float[] p, int pOff, int inner, int bound, int[] labels, int labelsOff,
                                       float[] scaledWeight, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), o1 = inner, o2 = 2 * inner, o3 = 3 * inner;
        FloatVector w0 = FloatVector.broadcast(sp, scaledWeight[0]), w1 = FloatVector.broadcast(sp, scaledWeight[1]);
        FloatVector w2 = FloatVector.broadcast(sp, scaledWeight[2]), w3 = FloatVector.broadcast(sp, scaledWeight[3]);
        FloatVector zero = FloatVector.zero(sp);
        for (int j = 0; j < bound; j += lanes) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            VectorMask<Float> m0 = y.compare(EQ, 0).cast(sp), m1 = y.compare(EQ, 1).cast(sp);
            VectorMask<Float> m2 = y.compare(EQ, 2).cast(sp), m3 = y.compare(EQ, 3).cast(sp);
            FloatVector a = zero.blend(w0, m0).blend(w1, m1).blend(w2, m2).blend(w3, m3);   // 0 where y_j is no class
            int i = pOff + j, o = outOff + j;
            FloatVector t0 = FloatVector.fromArray(sp, p, i).mul(a), t1 = FloatVector.fromArray(sp, p, i + o1).mul(a);
            FloatVector t2 = FloatVector.fromArray(sp, p, i + o2).mul(a), t3 = FloatVector.fromArray(sp, p, i + o3).mul(a);
            t0.blend(t0.sub(a), m0).intoArray(out, o);
            t1.blend(t1.sub(a), m1).intoArray(out, o + o1);
            t2.blend(t2.sub(a), m2).intoArray(out, o + o2);
            t3.blend(t3.sub(a), m3).intoArray(out, o + o3);
        }
    }

    /** crossEntropyChunk's lane accumulators of the picks ([class, lane]), per thread. */
    private static final ThreadLocal<float[][]> PICK_ACC = ThreadLocal.withInitial(() -> new float[1][0]);
    /**
     * crossEntropyChunk's columns per pass: a pass's logits, exponentials, stats and labels (at 4
     * classes 4·512·4 + 4·512·4 + 3·512·4 + 512·4 bytes = 24 KiB) stay in L1 from the exponentials
     * to the gradient. Any multiple of the lanes gives the same bits.
     */
    private static final int CE_PASS = 512;

    @Override
    public boolean crossEntropyChunk(float[] x, int xOff, int n, int inner, int cols, int[] labels, int labelsOff, int ignoreIndex,
                                     float[] scaledWeight, float[] out, int outOff, float[] stats, int statsOff, float[] picked) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(cols), lanes = sp.length();
        if (inner == 1 || bound == 0) {
            // one voxel's contiguous row, or fewer columns than lanes: the composed kernels' paths as they are
            return Kernels.crossEntropyChunkComposed(this, x, xOff, n, inner, cols, labels, labelsOff, ignoreIndex, scaledWeight,
                    out, outOff, stats, statsOff, picked);
        }
        int mAt = statsOff, logSAt = statsOff + cols, invAt = statsOff + 2 * cols;
        float[][] holder = PICK_ACC.get();
        if (holder[0].length < n * lanes) holder[0] = new float[n * lanes];
        float[] acc = holder[0];
        java.util.Arrays.fill(acc, 0, n * lanes, 0f);
        boolean finite = true, valid = true;
        // pass by pass of CE_PASS columns, each block in column order: every lane of a pick's
        // accumulator adds its blocks in the order sumLogSoftmaxWhereEqual does
        for (int j0 = 0; j0 < bound; j0 += CE_PASS) {
            int j1 = Math.min(bound, j0 + CE_PASS);
            finite &= crossEntropyExponentials(x, xOff, n, inner, out, outOff, stats, mAt, logSAt, invAt, j0, j1);
            // log s in a loop of its own, as softmaxAndLogSum (inside the exp loop C2 would call it out of line)
            log(stats, logSAt + j0, stats, logSAt + j0, j1 - j0);
            valid &= crossEntropyPicksAndGradient(x, xOff, n, inner, labels, labelsOff, ignoreIndex, scaledWeight, out, outOff,
                    stats, mAt, logSAt, invAt, acc, j0, j1);
        }
        for (int j = bound; j < cols; j++) {
            // the tail columns: softmaxAndLogSum's scalar column (p itself), the pick's scalar tail, the gradient's column
            int y = labels[labelsOff + j];
            valid &= y == ignoreIndex || (y >= 0 && y < n);
            for (int k = 0; k < n; k++) finite &= Float.isFinite(x[xOff + k * inner + j]);
            softmaxColumn(x, xOff + j, n, inner, out, outOff + j, stats, mAt + j, logSAt + j);
        }
        for (int k = 0; k < n; k++) {
            float sum = sumLanes(FloatVector.fromArray(sp, acc, k * lanes));
            for (int j = bound; j < cols; j++) {
                if (labels[labelsOff + j] == k) sum += (x[xOff + k * inner + j] - stats[mAt + j]) - stats[logSAt + j];
            }
            picked[k] = finite ? sum : Float.NaN;
        }
        for (int j = bound; j < cols; j++) {
            ScalarKernels.crossEntropyGradientColumn(out, outOff + j, n, inner, labels[labelsOff + j], scaledWeight, out, outOff + j);
        }
        return valid;
    }

    /**
     * crossEntropyChunk's blocks [j0, j1): softmaxBlocks' max and exponentials (e, not yet p, into
     * out), with m, s and 1 / s per column into the stats rows. Returns whether the blocks' logits
     * are all finite (from Σ x − x in lanes, NaN exactly when one of them is NaN or ±∞).
     */
    private boolean crossEntropyExponentials(float[] x, int xOff, int n, int inner, float[] out, int outOff, float[] stats,
                                           int mAt, int sAt, int invAt, int j0, int j1) {
        VectorSpecies<Float> sp = species();
        FloatVector one = FloatVector.broadcast(sp, 1f), fin = FloatVector.zero(sp);
        for (int j = j0; j < j1; j += sp.length()) {
            FloatVector m = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int k = 0; k < n; k++) {
                FloatVector v = FloatVector.fromArray(sp, x, xOff + k * inner + j);
                m = columnMax(m, v);
                fin = fin.add(v.sub(v));
            }
            FloatVector s = FloatVector.zero(sp);
            for (int k = 0; k < n; k++) {
                FloatVector e = expNonPositive(FloatVector.fromArray(sp, x, xOff + k * inner + j).sub(m));
                e.intoArray(out, outOff + k * inner + j);
                s = s.add(e);
            }
            m.intoArray(stats, mAt + j);
            s.intoArray(stats, sAt + j);
            one.div(s).intoArray(stats, invAt + j);
        }
        return !fin.test(IS_NAN).anyTrue();
    }

    /**
     * crossEntropyChunk's blocks [j0, j1), block by block with the labels, m, log s and 1 / s read
     * once: per class, sumLogSoftmaxWhereEqual's masked add of (x − m) − log s into the class's lane
     * accumulator (in acc [class, lane]), and crossEntropyGradient's p·a − [y = k]·a with p = e·(1/s)
     * as the softmax rounds it. Returns whether every label is a class in [0, n) or ignoreIndex.
     */
    private boolean crossEntropyPicksAndGradient(float[] x, int xOff, int n, int inner, int[] labels, int labelsOff, int ignoreIndex,
                                                 float[] scaledWeight, float[] out, int outOff, float[] stats, int mAt, int logSAt,
                                                 int invAt, float[] acc, int j0, int j1) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length();
        VectorMask<Integer> bad = isp.maskAll(false);
        for (int j = j0; j < j1; j += lanes) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            bad = bad.or(y.compare(LT, 0).or(y.compare(GE, n)).and(y.compare(NE, ignoreIndex)));
            FloatVector a = FloatVector.zero(sp);   // scaledWeight[y_j]; 0 where y_j is no class
            for (int k = 0; k < n; k++) a = a.blend(FloatVector.broadcast(sp, scaledWeight[k]), y.compare(EQ, k).cast(sp));
            FloatVector m = FloatVector.fromArray(sp, stats, mAt + j), logS = FloatVector.fromArray(sp, stats, logSAt + j);
            FloatVector inv = FloatVector.fromArray(sp, stats, invAt + j);
            for (int k = 0; k < n; k++) {
                VectorMask<Float> at = y.compare(EQ, k).cast(sp);
                int o = k * inner + j;
                FloatVector lp = FloatVector.fromArray(sp, x, xOff + o).sub(m).sub(logS);
                FloatVector.fromArray(sp, acc, k * lanes).add(lp, at).intoArray(acc, k * lanes);
                FloatVector t = FloatVector.fromArray(sp, out, outOff + o).mul(inv).mul(a);
                t.blend(t.sub(a), at).intoArray(out, outOff + o);
            }
        }
        return !bad.anyTrue();
    }

    @Override
    public float expLogTerm(float[] lp, int lpOff, float[] w, int wOff, float gamma, float minLog, float[] f, int fOff,
                            float[] slope, int slopeOff, int n) {
        VectorSpecies<Float> sp = species();
        int lanes = sp.length(), bound = sp.loopBound(n);
        // h = max(-lp, minLog) (map NEG, then clamp to [minLog, +inf), whose min is the identity),
        // then f = h^γ in place: pow's own loop, which holds its two polynomials in registers
        for (int i = 0; i < bound; i += lanes) FloatVector.fromArray(sp, lp, lpOff + i).neg().max(minLog).intoArray(f, fOff + i);
        for (int i = bound; i < n; i++) f[fOff + i] = Math.max(-lp[lpOff + i], minLog);
        if (gamma != 1f) pow(f, fOff, gamma, f, fOff, n);
        float s = dot(f, fOff, w, wOff, n);   // the kernel itself: its order and rounding by construction
        if (slope == null) return s;
        // the slope: zip DIV, zip MUL, scalar MUL (w · (f / h) · γ, as three kernels would round
        // it), then clampGrad to [minLog, +inf]: 0 below the clamp and at NaN
        // (γ = 1: w itself, as clampGrad(w) was)
        for (int i = 0; i < bound; i += lanes) {
            FloatVector l = FloatVector.fromArray(sp, lp, lpOff + i).neg(), d = FloatVector.fromArray(sp, w, wOff + i);
            if (gamma != 1f) d = d.mul(FloatVector.fromArray(sp, f, fOff + i).div(l.max(minLog))).mul(gamma);
            FloatVector.zero(sp).blend(d, l.compare(GE, minLog).and(l.compare(LE, Float.POSITIVE_INFINITY))).intoArray(slope, slopeOff + i);
        }
        for (int i = bound; i < n; i++) {
            float l = -lp[lpOff + i], h = Math.max(l, minLog);
            float d = gamma == 1f ? w[wOff + i] : w[wOff + i] * (f[fOff + i] / h) * gamma;
            slope[slopeOff + i] = l >= minLog && l <= Float.POSITIVE_INFINITY ? d : 0f;
        }
        return s;
    }

    @Override
    public float focalTerm(float[] lp, int lpOff, float[] w, int wOff, float gamma, float floor, float scale,
                           float[] e, float[] q, float[] f, float[] a, int aOff, int n) {
        VectorSpecies<Float> sp = species();
        int lanes = sp.length(), bound = sp.loopBound(n);
        if (gamma == 0f) {
            if (a != null) {
                // fill -1, zip MUL by w, scalar MUL by -scale, as three kernels round it
                FloatVector minusOne = FloatVector.broadcast(sp, -1f);
                for (int i = 0; i < bound; i += lanes) minusOne.mul(FloatVector.fromArray(sp, w, wOff + i)).mul(-scale).intoArray(a, aOff + i);
                for (int i = bound; i < n; i++) a[aOff + i] = (-1f * w[wOff + i]) * -scale;
            }
            return dot(lp, lpOff, w, wOff, n);
        }
        // e = exp(lp), q = 1 - e and c = clamp(q, floor, 1) in one pass (map EXP, scalar SUB, clamp:
        // their lanes and their scalar tails), c into f and, for the coefficient, into a's row too;
        // then f = c^γ with pow's own loop
        FloatVector one = FloatVector.broadcast(sp, 1f);
        for (int i = 0; i < bound; i += lanes) {
            FloatVector ev = exp(FloatVector.fromArray(sp, lp, lpOff + i)), qv = one.sub(ev), cv = qv.max(floor).min(1f);
            ev.intoArray(e, i);
            qv.intoArray(q, i);
            cv.intoArray(f, i);
            if (a != null) cv.intoArray(a, aOff + i);
        }
        for (int i = bound; i < n; i++) {
            float ei = (float) Math.exp(lp[lpOff + i]), qi = 1f - ei, ci = Math.min(Math.max(qi, floor), 1f);
            e[i] = ei;
            q[i] = qi;
            f[i] = ci;
            if (a != null) a[aOff + i] = ci;
        }
        pow(f, 0, gamma, f, 0, n);
        if (a != null) {
            // d = c^(γ-1) with pow's own loop (in a's row), then γ·d masked to floor ≤ q ≤ 1, the
            // coefficient and lp · f in one pass, each product rounded as its kernel rounds it
            pow(a, aOff, gamma - 1f, a, aOff, n);
            FloatVector zero = FloatVector.zero(sp);
            for (int i = 0; i < bound; i += lanes) {
                FloatVector qv = FloatVector.fromArray(sp, q, i), fv = FloatVector.fromArray(sp, f, i);
                FloatVector lv = FloatVector.fromArray(sp, lp, lpOff + i);
                FloatVector d = zero.blend(FloatVector.fromArray(sp, a, aOff + i).mul(gamma), qv.compare(GE, floor).and(qv.compare(LE, 1f)));
                lv.mul(d).mul(FloatVector.fromArray(sp, e, i)).sub(fv).mul(FloatVector.fromArray(sp, w, wOff + i)).mul(-scale)
                        .intoArray(a, aOff + i);
                lv.mul(fv).intoArray(lp, lpOff + i);
            }
            for (int i = bound; i < n; i++) {
                float qi = q[i], d = a[aOff + i] * gamma;
                d = (qi >= floor && qi <= 1f) ? d : 0f;
                a[aOff + i] = ((((lp[lpOff + i] * d) * e[i]) - f[i]) * w[wOff + i]) * -scale;
                lp[lpOff + i] = lp[lpOff + i] * f[i];
            }
        } else {
            for (int i = 0; i < bound; i += lanes) {
                FloatVector.fromArray(sp, lp, lpOff + i).mul(FloatVector.fromArray(sp, f, i)).intoArray(lp, lpOff + i);
            }
            for (int i = bound; i < n; i++) lp[lpOff + i] = lp[lpOff + i] * f[i];
        }
        return dot(lp, lpOff, w, wOff, n);
    }

    @Override
    public float pickLogSoftmax(float[] x, int xOff, int n, int inner, int cols, float[] stats, int mOff, int logSOff,
                                int[] labels, int labelsOff, float[] coef, float[] lp, int lpOff, float[] w, int wOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        FloatVector zero = FloatVector.zero(sp), nan = zero;   // nan: Σ x - x, NaN exactly at a NaN or ±∞ logit
        // inner == 1 is one voxel's contiguous row of n classes (cols == 1): the scalar columns below
        int bound = inner == 1 ? 0 : sp.loopBound(cols);
        int done = 0;   // column blocks already done
        float nanBlocks = 0f;   // their Σ x - x
        if (n == 4 && bound > 0) {
            nanBlocks = pickLogSoftmax4(x, xOff, inner, bound, stats, mOff, logSOff, labels, labelsOff, coef, lp, lpOff, w, wOff);
            done = bound;
        }
        for (int j = done; j < bound; j += sp.length()) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            FloatVector xy = zero, wy = zero;   // x(y_j, j) and coef[y_j] where picked, else 0
            for (int k = 0; k < n; k++) {
                FloatVector xk = FloatVector.fromArray(sp, x, xOff + k * inner + j);
                nan = nan.add(xk.sub(xk));
                if (coef[k] == 0f) continue;
                VectorMask<Float> at = y.compare(EQ, k).cast(sp);
                xy = xy.blend(xk, at);
                wy = wy.blend(FloatVector.broadcast(sp, coef[k]), at);
            }
            FloatVector l = xy.sub(FloatVector.fromArray(sp, stats, mOff + j)).sub(FloatVector.fromArray(sp, stats, logSOff + j));
            zero.blend(l, wy.compare(NE, 0f)).intoArray(lp, lpOff + j);
            wy.intoArray(w, wOff + j);
        }
        boolean finite = !Float.isNaN(sumLanes(nan)) && !Float.isNaN(nanBlocks);
        for (int j = bound; j < cols; j++) {
            for (int k = 0; k < n; k++) finite &= Float.isFinite(x[xOff + k * inner + j]);
            ScalarKernels.pickLogSoftmaxColumn(x, xOff + j, n, inner, stats[mOff + j], stats[logSOff + j], labels[labelsOff + j],
                    coef, lp, lpOff + j, w, wOff + j);
        }
        return finite ? 0f : Float.NaN;
    }

    /**
     * pickLogSoftmax's column blocks below bound for n = 4 classes: the coefficients broadcast
     * once per call (−0 as +0, the general loop's untouched zero for a class it skips), every
     * class blended in: a class with coefficient 0 leaves w at 0 there, and lp is 0 wherever w is,
     * so the same bits as the general loop's skip. Returns NaN when a logit of the blocks is NaN or
     * ±∞, else 0 (a float: a vector returned from a helper C2 leaves out of line is boxed).
     */
    private float pickLogSoftmax4(float[] x, int xOff, int inner, int bound, float[] stats, int mOff, int logSOff,
                                        int[] labels, int labelsOff, float[] coef, float[] lp, int lpOff, float[] w, int wOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), o1 = inner, o2 = 2 * inner, o3 = 3 * inner;
        FloatVector zero = FloatVector.zero(sp), nan = zero;
        FloatVector c0 = FloatVector.broadcast(sp, coef[0] == 0f ? 0f : coef[0]), c1 = FloatVector.broadcast(sp, coef[1] == 0f ? 0f : coef[1]);
        FloatVector c2 = FloatVector.broadcast(sp, coef[2] == 0f ? 0f : coef[2]), c3 = FloatVector.broadcast(sp, coef[3] == 0f ? 0f : coef[3]);
        for (int j = 0; j < bound; j += lanes) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            VectorMask<Float> m0 = y.compare(EQ, 0).cast(sp), m1 = y.compare(EQ, 1).cast(sp);
            VectorMask<Float> m2 = y.compare(EQ, 2).cast(sp), m3 = y.compare(EQ, 3).cast(sp);
            int i = xOff + j;
            FloatVector x0 = FloatVector.fromArray(sp, x, i), x1 = FloatVector.fromArray(sp, x, i + o1);
            FloatVector x2 = FloatVector.fromArray(sp, x, i + o2), x3 = FloatVector.fromArray(sp, x, i + o3);
            nan = nan.add(x0.sub(x0)).add(x1.sub(x1)).add(x2.sub(x2)).add(x3.sub(x3));
            FloatVector xy = zero.blend(x0, m0).blend(x1, m1).blend(x2, m2).blend(x3, m3);
            FloatVector wy = zero.blend(c0, m0).blend(c1, m1).blend(c2, m2).blend(c3, m3);
            FloatVector l = xy.sub(FloatVector.fromArray(sp, stats, mOff + j)).sub(FloatVector.fromArray(sp, stats, logSOff + j));
            zero.blend(l, wy.compare(NE, 0f)).intoArray(lp, lpOff + j);
            wy.intoArray(w, wOff + j);
        }
        return nan.test(IS_NAN).anyTrue() ? Float.NaN : 0f;   // each lane a sum of zeros, or NaN
    }

    @Override
    public void labelSoftmaxGradient(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                     float[] a, int aOff, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        // inner == 1 is one voxel's contiguous row of n classes (cols == 1): the scalar columns below
        int bound = inner == 1 ? 0 : sp.loopBound(cols);
        int done = 0;   // column blocks already done
        if (n == 4 && bound > 0) {
            labelSoftmaxGradient4(p, pOff, inner, bound, labels, labelsOff, a, aOff, out, outOff);
            done = bound;
        }
        for (int j = done; j < bound; j += sp.length()) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            FloatVector av = FloatVector.fromArray(sp, a, aOff + j);
            for (int k = 0; k < n; k++) {
                FloatVector t = FloatVector.fromArray(sp, p, pOff + k * inner + j).mul(av);
                t.blend(t.sub(av), y.compare(EQ, k).cast(sp)).intoArray(out, outOff + k * inner + j);
            }
        }
        for (int j = bound; j < cols; j++) {
            ScalarKernels.labelSoftmaxGradientColumn(p, pOff + j, n, inner, labels[labelsOff + j], a[aOff + j], out, outOff + j);
        }
    }

    /**
     * labelSoftmaxGradient's column blocks below bound for n = 4 classes: each block's label read
     * once and its four rows written in one iteration (the general loop is one short loop per
     * block). The same operations per lane: the same bits.
     */
    private void labelSoftmaxGradient4(float[] p, int pOff, int inner, int bound, int[] labels, int labelsOff,
                                       float[] a, int aOff, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), o1 = inner, o2 = 2 * inner, o3 = 3 * inner;
        for (int j = 0; j < bound; j += lanes) {
            IntVector y = IntVector.fromArray(isp, labels, labelsOff + j);
            FloatVector av = FloatVector.fromArray(sp, a, aOff + j);
            int i = pOff + j, o = outOff + j;
            FloatVector t0 = FloatVector.fromArray(sp, p, i).mul(av), t1 = FloatVector.fromArray(sp, p, i + o1).mul(av);
            FloatVector t2 = FloatVector.fromArray(sp, p, i + o2).mul(av), t3 = FloatVector.fromArray(sp, p, i + o3).mul(av);
            t0.blend(t0.sub(av), y.compare(EQ, 0).cast(sp)).intoArray(out, o);
            t1.blend(t1.sub(av), y.compare(EQ, 1).cast(sp)).intoArray(out, o + o1);
            t2.blend(t2.sub(av), y.compare(EQ, 2).cast(sp)).intoArray(out, o + o2);
            t3.blend(t3.sub(av), y.compare(EQ, 3).cast(sp)).intoArray(out, o + o3);
        }
    }

    @Override
    public void logSumExp(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        if (inner == 1) {
            float m = max(x, xOff, n);
            // all -inf: (-inf) - (-inf) would be NaN; the answer is -inf
            out[outOff] = m == Float.NEGATIVE_INFINITY ? m : m + (float) Math.log(sumExp(x, xOff, n, m));
            return;
        }
        for (int j = logSumExpColumns(x, xOff, n, inner, cols, out, outOff); j < cols; j++) {
            logSumExpColumn(x, xOff + j, n, inner, out, outOff + j);
        }
    }

    /** Log-sum-exp of the column blocks below loopBound(cols); returns the first tail column. */
    private int logSumExpColumns(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(cols);
        for (int j = 0; j < bound; j += sp.length()) {
            FloatVector m = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int k = 0; k < n; k++) m = columnMax(m, FloatVector.fromArray(sp, x, xOff + k * inner + j));
            // NOTE: an all -inf column shifts by 0 instead: exp(-inf) = 0, log(0) = -inf, and
            // 0 + -inf = -inf, where the true shift would give (-inf) - (-inf) = NaN
            m = m.blend(0f, m.compare(EQ, Float.NEGATIVE_INFINITY));
            FloatVector s = FloatVector.zero(sp);
            for (int k = 0; k < n; k++) {
                s = s.add(expNonPositive(FloatVector.fromArray(sp, x, xOff + k * inner + j).sub(m)));
            }
            m.add(log(s)).intoArray(out, outOff + j);
        }
        return bound;
    }

    /** The scalar spec for one column. */
    private static void logSumExpColumn(float[] x, int xOff, int n, int stride, float[] out, int outOff) {
        float m = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) m = Math.max(m, x[xOff + k * stride]);
        if (m == Float.NEGATIVE_INFINITY) {
            out[outOff] = m;
            return;
        }
        float s = 0f;
        for (int k = 0; k < n; k++) s += (float) Math.exp(x[xOff + k * stride] - m);
        out[outOff] = m + (float) Math.log(s);
    }

    @Override
    public void softmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                                float[] out, int outOff) {
        if (inner == 1) {
            float d = dot(g, gOff, y, yOff, n);
            softmaxBackwardRow(y, yOff, g, gOff, n, d, out, outOff);
            return;
        }
        for (int j = softmaxBackwardColumns(y, yOff, g, gOff, n, inner, cols, out, outOff); j < cols; j++) {
            softmaxBackwardColumn(y, yOff + j, g, gOff + j, n, inner, out, outOff + j);
        }
    }

    @Override
    public void softmaxBackward(float[] y, int yOff, float[] g, int gOff, int gStride, int n, int inner, int cols,
                                float[] out, int outOff) {
        if (inner == 1 || gStride == inner) {
            if (inner == 1 && gStride != 1) throw new IllegalArgumentException("softmaxBackward: a contiguous row (inner 1) needs gStride 1, got " + gStride);
            softmaxBackward(y, yOff, g, gOff, n, inner, cols, out, outOff);
            return;
        }
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(cols);
        for (int j = 0; j < bound; j += sp.length()) {
            // softmaxBackwardColumns' arithmetic with g's own row stride
            FloatVector d = FloatVector.zero(sp);
            for (int k = 0; k < n; k++) {
                d = d.add(FloatVector.fromArray(sp, g, gOff + k * gStride + j)
                        .mul(FloatVector.fromArray(sp, y, yOff + k * inner + j)));
            }
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                FloatVector.fromArray(sp, y, yOff + i).mul(FloatVector.fromArray(sp, g, gOff + k * gStride + j).sub(d))
                        .intoArray(out, outOff + i);
            }
        }
        for (int j = bound; j < cols; j++) {
            float d = 0f;
            for (int k = 0; k < n; k++) d += g[gOff + k * gStride + j] * y[yOff + k * inner + j];
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                out[outOff + i] = y[yOff + i] * (g[gOff + k * gStride + j] - d);
            }
        }
    }

    /** Softmax backward of the column blocks below loopBound(cols); returns the first tail column. */
    private int softmaxBackwardColumns(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                                       float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(cols);
        for (int j = 0; j < bound; j += sp.length()) {
            FloatVector d = FloatVector.zero(sp);
            for (int k = 0; k < n; k++) {
                d = d.add(FloatVector.fromArray(sp, g, gOff + k * inner + j)
                        .mul(FloatVector.fromArray(sp, y, yOff + k * inner + j)));
            }
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                FloatVector.fromArray(sp, y, yOff + i).mul(FloatVector.fromArray(sp, g, gOff + i).sub(d))
                        .intoArray(out, outOff + i);
            }
        }
        return bound;
    }

    @Override
    public void softmaxBackwardByLabel(float[] y, int yOff, int n, int inner, int cols, int[] labels, int labelsOff, float[] table,
                                       float[] out, int outOff) {
        if (inner == 1) {
            // one voxel's contiguous row: softmaxBackward's row path on the looked-up row, as it is
            int r = labels[labelsOff];
            float[] g = java.util.Arrays.copyOfRange(table, (r >= 0 && r < n ? r : n) * n, (r >= 0 && r < n ? r : n) * n + n);
            softmaxBackward(y, yOff, g, 0, n, 1, 1, out, outOff);
            return;
        }
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length();
        int bound = sp.loopBound(cols);
        if (bound > 0 && n + 1 <= lanes) {
            // table column k in one vector (entry r = table[r n + k]), looked up per lane by a permute
            // (an array of floats, not of FloatVector: C2 keeps no vector box in the loop)
            float[] columns = new float[n * lanes];
            for (int k = 0; k < n; k++) {
                for (int r = 0; r <= n; r++) columns[k * lanes + r] = table[r * n + k];
            }
            IntVector other = IntVector.broadcast(isp, n);
            if (n == 4) {
                byLabelBackward4(y, yOff, inner, bound, labels, labelsOff, columns, out, outOff);
            } else {
                for (int j = 0; j < bound; j += lanes) {
                    IntVector lab = IntVector.fromArray(isp, labels, labelsOff + j);
                    IntVector row = lab.blend(other, lab.compare(LT, 0).or(lab.compare(GE, n)));
                    VectorShuffle<Float> pick = row.toShuffle().cast(sp);
                    FloatVector d = FloatVector.zero(sp);
                    for (int k = 0; k < n; k++) {
                        FloatVector g = FloatVector.fromArray(sp, columns, k * lanes).rearrange(pick);
                        d = d.add(g.mul(FloatVector.fromArray(sp, y, yOff + k * inner + j)));
                    }
                    for (int k = 0; k < n; k++) {
                        int i = k * inner + j;
                        FloatVector g = FloatVector.fromArray(sp, columns, k * lanes).rearrange(pick);
                        FloatVector.fromArray(sp, y, yOff + i).mul(g.sub(d)).intoArray(out, outOff + i);
                    }
                }
            }
        } else {
            for (int j = 0; j < bound; j += lanes) {
                IntVector lab = IntVector.fromArray(isp, labels, labelsOff + j);
                FloatVector d = FloatVector.zero(sp);
                for (int k = 0; k < n; k++) {
                    d = d.add(byLabel(lab, table, n, k).mul(FloatVector.fromArray(sp, y, yOff + k * inner + j)));
                }
                for (int k = 0; k < n; k++) {
                    int i = k * inner + j;
                    FloatVector.fromArray(sp, y, yOff + i).mul(byLabel(lab, table, n, k).sub(d)).intoArray(out, outOff + i);
                }
            }
        }
        for (int j = bound; j < cols; j++) {
            ScalarKernels.softmaxBackwardByLabelColumn(y, yOff + j, n, inner, labels[labelsOff + j], table, out, outOff + j);
        }
    }

    /**
     * softmaxBackwardByLabel's column blocks below bound for n = 4 classes: the table's four
     * columns (one vector each, entry r at lane r) loaded once per call and each looked up once per
     * block, where the general loop loads and permutes each twice. The same operations per lane in
     * the same order: the same bits.
     */
    private void byLabelBackward4(float[] y, int yOff, int inner, int bound, int[] labels, int labelsOff, float[] columns,
                                  float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        VectorSpecies<Integer> isp = intSpecies();
        int lanes = sp.length(), o1 = inner, o2 = 2 * inner, o3 = 3 * inner;
        FloatVector t0 = FloatVector.fromArray(sp, columns, 0), t1 = FloatVector.fromArray(sp, columns, lanes);
        FloatVector t2 = FloatVector.fromArray(sp, columns, 2 * lanes), t3 = FloatVector.fromArray(sp, columns, 3 * lanes);
        IntVector other = IntVector.broadcast(isp, 4);
        FloatVector zero = FloatVector.zero(sp);
        for (int j = 0; j < bound; j += lanes) {
            IntVector lab = IntVector.fromArray(isp, labels, labelsOff + j);
            VectorShuffle<Float> pick = lab.blend(other, lab.compare(LT, 0).or(lab.compare(GE, 4))).toShuffle().cast(sp);
            int i = yOff + j, o = outOff + j;
            FloatVector v0 = FloatVector.fromArray(sp, y, i), v1 = FloatVector.fromArray(sp, y, i + o1);
            FloatVector v2 = FloatVector.fromArray(sp, y, i + o2), v3 = FloatVector.fromArray(sp, y, i + o3);
            FloatVector g0 = t0.rearrange(pick), g1 = t1.rearrange(pick), g2 = t2.rearrange(pick), g3 = t3.rearrange(pick);
            FloatVector d = zero.add(g0.mul(v0)).add(g1.mul(v1)).add(g2.mul(v2)).add(g3.mul(v3));
            v0.mul(g0.sub(d)).intoArray(out, o);
            v1.mul(g1.sub(d)).intoArray(out, o + o1);
            v2.mul(g2.sub(d)).intoArray(out, o + o2);
            v3.mul(g3.sub(d)).intoArray(out, o + o3);
        }
    }

    /** table[r n + k] per lane, r the lane's label when in [0, n), else n: blends, for tables wider than a vector. */
    private FloatVector byLabel(IntVector lab, float[] table, int n, int k) {
        VectorSpecies<Float> sp = species();
        FloatVector g = FloatVector.broadcast(sp, table[n * n + k]);
        for (int r = 0; r < n; r++) g = g.blend(FloatVector.broadcast(sp, table[r * n + k]), lab.compare(EQ, r).cast(sp));
        return g;
    }

    /** out[i] = y[i] * (g[i] - d) over a contiguous row. */
    private void softmaxBackwardRow(float[] y, int yOff, float[] g, int gOff, int n, float d,
                                    float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector.fromArray(sp, y, yOff + i).mul(FloatVector.fromArray(sp, g, gOff + i).sub(d))
                    .intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = y[yOff + i] * (g[gOff + i] - d);
    }

    /** The scalar spec for one column. */
    private static void softmaxBackwardColumn(float[] y, int yOff, float[] g, int gOff, int n, int stride,
                                              float[] out, int outOff) {
        float d = 0f;
        for (int k = 0; k < n; k++) d += g[gOff + k * stride] * y[yOff + k * stride];
        for (int k = 0; k < n; k++) {
            int i = k * stride;
            out[outOff + i] = y[yOff + i] * (g[gOff + i] - d);
        }
    }

    @Override
    public void logSoftmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                                   float[] out, int outOff) {
        if (inner == 1) {
            logSoftmaxBackwardRow(y, yOff, g, gOff, n, sum(g, gOff, n), out, outOff);
            return;
        }
        for (int j = logSoftmaxBackwardColumns(y, yOff, g, gOff, n, inner, cols, out, outOff); j < cols; j++) {
            logSoftmaxBackwardColumn(y, yOff + j, g, gOff + j, n, inner, out, outOff + j);
        }
    }

    /** Log-softmax backward of the column blocks below loopBound(cols); returns the first tail column. */
    private int logSoftmaxBackwardColumns(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                                          float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(cols);
        for (int j = 0; j < bound; j += sp.length()) {
            FloatVector gs = FloatVector.zero(sp);
            for (int k = 0; k < n; k++) gs = gs.add(FloatVector.fromArray(sp, g, gOff + k * inner + j));
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                FloatVector e = exp(FloatVector.fromArray(sp, y, yOff + i));
                FloatVector.fromArray(sp, g, gOff + i).sub(e.mul(gs)).intoArray(out, outOff + i);
            }
        }
        return bound;
    }

    /** out[i] = g[i] - exp(y[i]) * gs over a contiguous row. */
    private void logSoftmaxBackwardRow(float[] y, int yOff, float[] g, int gOff, int n, float gs,
                                       float[] out, int outOff) {
        VectorSpecies<Float> sp = species();
        int bound = sp.loopBound(n);
        for (int i = 0; i < bound; i += sp.length()) {
            FloatVector e = exp(FloatVector.fromArray(sp, y, yOff + i));
            FloatVector.fromArray(sp, g, gOff + i).sub(e.mul(gs)).intoArray(out, outOff + i);
        }
        for (int i = bound; i < n; i++) out[outOff + i] = g[gOff + i] - (float) Math.exp(y[yOff + i]) * gs;
    }

    /** The scalar spec for one column. */
    private static void logSoftmaxBackwardColumn(float[] y, int yOff, float[] g, int gOff, int n, int stride,
                                                 float[] out, int outOff) {
        float gs = 0f;
        for (int k = 0; k < n; k++) gs += g[gOff + k * stride];
        for (int k = 0; k < n; k++) {
            int i = k * stride;
            out[outOff + i] = g[gOff + i] - (float) Math.exp(y[yOff + i]) * gs;
        }
    }

    // ---- matrix product ---------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        VectorGemm.gemm(this, transA, transB, m, n, k,
                a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * {@link VectorGemm}'s micro-kernel: C[4, 4L] at c[co] (row stride ldc, L lanes) (+)= the sum
     * over kc steps of a packed A panel (4 values per step) x a packed B panel (4L per step);
     * {@code load}: accumulate onto C, else start from 0. The 4 x 4-vector register tile: 16
     * accumulators in locals (never arrays or fields: that measured 20x slower), 4 B vectors and
     * one broadcast A per row. One body for every width: {@link #species()} is a JIT constant.
     */
    final void packedTile(int kc, float[] pa, int ao, float[] pb, int bo,
                          float[] c, int co, int ldc, boolean load) {
        VectorSpecies<Float> s = species();
        int l = s.length(), nr = 4 * l;
        int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13;
        FloatVector c20, c21, c22, c23, c30, c31, c32, c33;
        if (load) {
            c00 = FloatVector.fromArray(s, c, co); c01 = FloatVector.fromArray(s, c, co + l);
            c02 = FloatVector.fromArray(s, c, co + 2 * l); c03 = FloatVector.fromArray(s, c, co + 3 * l);
            c10 = FloatVector.fromArray(s, c, r1); c11 = FloatVector.fromArray(s, c, r1 + l);
            c12 = FloatVector.fromArray(s, c, r1 + 2 * l); c13 = FloatVector.fromArray(s, c, r1 + 3 * l);
            c20 = FloatVector.fromArray(s, c, r2); c21 = FloatVector.fromArray(s, c, r2 + l);
            c22 = FloatVector.fromArray(s, c, r2 + 2 * l); c23 = FloatVector.fromArray(s, c, r2 + 3 * l);
            c30 = FloatVector.fromArray(s, c, r3); c31 = FloatVector.fromArray(s, c, r3 + l);
            c32 = FloatVector.fromArray(s, c, r3 + 2 * l); c33 = FloatVector.fromArray(s, c, r3 + 3 * l);
        } else {
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = FloatVector.zero(s);
            c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = c00;
        }
        for (int p = 0; p < kc; p++, ao += 4, bo += nr) {
            FloatVector b0 = FloatVector.fromArray(s, pb, bo);
            FloatVector b1 = FloatVector.fromArray(s, pb, bo + l);
            FloatVector b2 = FloatVector.fromArray(s, pb, bo + 2 * l);
            FloatVector b3 = FloatVector.fromArray(s, pb, bo + 3 * l);
            FloatVector x = FloatVector.broadcast(s, pa[ao]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(s, pa[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(s, pa[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(s, pa[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        c00.intoArray(c, co); c01.intoArray(c, co + l); c02.intoArray(c, co + 2 * l); c03.intoArray(c, co + 3 * l);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + l); c12.intoArray(c, r1 + 2 * l); c13.intoArray(c, r1 + 3 * l);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + l); c22.intoArray(c, r2 + 2 * l); c23.intoArray(c, r2 + 3 * l);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + l); c32.intoArray(c, r3 + 2 * l); c33.intoArray(c, r3 + 3 * l);
    }

    // ---- shifted-row products (convolutions without im2col) ---------------------------------
    // gemmShiftedB: the register tile of packedTile (4 rows x 4 vectors, A broadcast from a
    // packed MR panel), except that B is never packed: row p of the 4-vector column block is
    // loaded straight from src at srcOff + offs[p] + j (so shiftedTile is its own body: a row
    // address read per step, where packedTile's advances by a constant the JIT folds). Each C element is one FMA chain over
    // p = 0..k-1 from 0, whatever its tile (full, 1-vector, masked last vector, edge rows); the
    // masked last vector replaced a scalar loop over the last n mod L columns, which took over half
    // of a forward at [2, 32, 8^3] (tiles of 256 + 10 columns: 1.33 -> 0.6 ms, one thread).
    // gemmShiftedBt: dot products along n, 8 rows of A x 3 shifted rows of src per tile with one
    // lane accumulator each, kept in a per-thread buffer between blocks of SHIFT_QB columns (the
    // lanes are added only once per call); then s = the lanes added in lane order (as sumLanes:
    // the same bits in every JIT tier), the scalar tail by FMA, and C = beta 0 ? s : C + s. An
    // element gets the same arithmetic in an 8x3 tile or alone (dot1), so splitting C is bit-neutral.
    // Why 8 x 3 and not 4 x 6 (the same 24 accumulators): the shifted rows of src start anywhere,
    // so their loads split cache lines; 3 of them per step instead of 6 took Conv3d's dw at
    // 16 -> 16, 64^3, 2 threads, from about 17 ms to about 12 (a harness on the quiet machine).

    /**
     * Columns per block of gemmShiftedBt (a multiple of every lane count): within a block, each
     * 8-row slice of A (8 x 1024 floats = 32 KiB) stays in L1 while all the tap groups of a pass
     * stream their 3 shifted src rows past it. Conv3d's dw, one thread of a loaded machine (min of
     * repeated runs, alternated): 1024 with that loop order 31-45 ms at 16 -> 16, 64^3 and 1.9-2.0
     * ms at [2, 8, 32^3], against 42-66 / 2.6-3.5 ms with the earlier 8192 and tap groups
     * outermost (A re-read from L2 or beyond for every tap group); 1536 and 512 were slower.
     * The lane chains run over q in order whatever the blocking: the bits do not depend on it.
     */
    static final int SHIFT_QB = 1024;
    /**
     * Taps (columns of C) per pass of gemmShiftedBt, a multiple of 3: bounds its lane
     * accumulators (m/8 * SHIFT_JC/3 tiles of 24 vectors). 864 = 32 channels x 27 taps, every
     * layer of the example U-Net in one pass, so A is read once per call.
     */
    static final int SHIFT_JC = 864;

    private static final ThreadLocal<float[][]> SHIFT_SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    @Override
    public void gemmShiftedB(int m, int n, int k, float[] a, int aOff, int lda,
                             float[] src, int srcOff, int[] offs, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {
            for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        int mp = (m + 3) & ~3;
        float[][] scratch = SHIFT_SCRATCH.get();
        if (scratch[0].length < mp * k) scratch[0] = new float[mp * k];
        packPanels(m, k, a, aOff, lda, scratch[0]);
        shiftedB(m, n, k, scratch[0], src, srcOff, offs, c, cOff, ldc);
    }

    /** Panels of 4 rows: pa[ir*k + 4p + r] = a(ir + r, p), rows past m are 0 (gemmShiftedB's layout). */
    private static void packPanels(int m, int k, float[] a, int aOff, int lda, float[] pa) {
        int mp = (m + 3) & ~3;
        for (int ir = 0; ir < mp; ir += 4) {
            for (int p = 0, dst = ir * k; p < k; p++, dst += 4) {
                for (int r = 0; r < 4; r++) {
                    int i = ir + r;
                    pa[dst + r] = i < m ? a[aOff + i * lda + p] : 0f;
                }
            }
        }
    }

    /** gemmShiftedB's layout: panels of 4 rows (rows past m zero), [ceil(m/4)*4, k] interleaved by 4. */
    @Override
    public float[] packShiftedA(int m, int k, float[] a, int aOff, int lda) {
        float[] pa = new float[((Math.max(0, m) + 3) & ~3) * Math.max(0, k)];
        if (m > 0 && k > 0) packPanels(m, k, a, aOff, lda, pa);
        return pa;
    }

    @Override
    public void gemmShiftedBPacked(int m, int n, int k, float[] packedA,
                                   float[] src, int srcOff, int[] offs, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {
            for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        int need = ((m + 3) & ~3) * k;
        if (packedA.length < need) {
            throw new IllegalArgumentException("gemmShiftedBPacked: packedA must hold " + need
                    + " floats (packShiftedA(m = " + m + ", k = " + k + ")), got " + packedA.length);
        }
        shiftedB(m, n, k, packedA, src, srcOff, offs, c, cOff, ldc);
    }

    @Override
    public void gemmShiftedBRowsPacked(int m, int k, float[] packedA, float[] src, int srcOff,
                                       int[] rowStarts, int rowsOff, int rows, int len, int[] offs,
                                       float[] c, int cOff, int ldc) {
        int lanes = species().length();
        if (m <= 0 || rows <= 0 || len <= 0 || k <= 0 || len % lanes != 0) {
            // no whole vectors per row: each row as a span of its own
            for (int r = 0; r < rows; r++) {
                gemmShiftedBPacked(m, len, k, packedA, src, srcOff + rowStarts[rowsOff + r], offs, c, cOff + r * len, ldc);
            }
            return;
        }
        int need = ((m + 3) & ~3) * k;
        if (packedA.length < need) {
            throw new IllegalArgumentException("gemmShiftedBRowsPacked: packedA must hold " + need
                    + " floats (packShiftedA(m = " + m + ", k = " + k + ")), got " + packedA.length);
        }
        // the rows' vectors in order (vector v: row v / perRow, columns from (v mod perRow) L),
        // whatever row each lies in: three per 8 x 3 tile when m is a multiple of 8, else four per
        // 4 x 4 tile (the last rows, fewer than 4, through the tile scratch); the last ones one at a time
        int perRow = len / lanes, vectors = rows * perRow, v = 0;
        if ((m & 7) == 0) {
            for (; v + 3 <= vectors; v += 3) {
                int b0 = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v);
                int b1 = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v + 1);
                int b2 = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v + 2);
                for (int ir = 0; ir < m; ir += 8) {
                    shiftedTile83(k, packedA, ir * k, (ir + 4) * k, src, b0, b1, b2, offs, c, cOff + ir * ldc + v * lanes, ldc);
                }
            }
        }
        float[][] scratch = SHIFT_SCRATCH.get();
        if (scratch[1].length < 16 * lanes) scratch[1] = new float[16 * lanes];
        float[] tile = scratch[1];
        for (; v + 4 <= vectors; v += 4) {
            int b0 = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v);
            int b1 = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v + 1);
            int b2 = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v + 2);
            int b3 = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v + 3);
            for (int ir = 0; ir < m; ir += 4) {
                panelTile(k, packedA, ir, m, src, b0, b1, b2, b3, offs, c, cOff + ir * ldc + v * lanes, ldc, tile);
            }
        }
        VectorMask<Float> all = species().maskAll(true);
        for (; v < vectors; v++) {
            int b = rowVector(srcOff, rowStarts, rowsOff, perRow, lanes, v);
            for (int ir = 0; ir < m; ir += 4) {
                panelTile1(k, packedA, ir, m, src, b, offs, c, cOff + ir * ldc + v * lanes, ldc, tile, all, lanes);
            }
        }
    }

    /** The src index of the first column of vector v of gemmShiftedBRowsPacked's rows. */
    private static int rowVector(int srcOff, int[] rowStarts, int rowsOff, int perRow, int lanes, int v) {
        int r = v / perRow;
        return srcOff + rowStarts[rowsOff + r] + (v - r * perRow) * lanes;
    }

    /** The body of gemmShiftedB on the packed panels pa (m, n, k &gt; 0). */
    private void shiftedB(int m, int n, int k, float[] pa, float[] src, int srcOff, int[] offs,
                          float[] c, int cOff, int ldc) {
        int lanes = species().length(), nr = 4 * lanes;
        float[][] scratch = SHIFT_SCRATCH.get();
        if (scratch[1].length < 4 * nr) scratch[1] = new float[4 * nr];
        float[] tile = scratch[1];
        int j = 0;
        if ((m & 7) == 0) {
            // 8 rows x 3 vectors (two packed 4-row panels): 24 FMAs per 3 shifted B loads and 8
            // broadcasts, against 16 per 4 and 4 of the 4 x 4 tile; the shifted loads split cache
            // lines and each carries a range check, so fewer of them per FMA
            for (int n3 = 3 * lanes; j + n3 <= n; j += n3) {
                for (int ir = 0; ir < m; ir += 8) {
                    int b0 = srcOff + j;
                    shiftedTile83(k, pa, ir * k, (ir + 4) * k, src, b0, b0 + lanes, b0 + 2 * lanes, offs, c, cOff + ir * ldc + j, ldc);
                }
            }
        }
        for (; j + nr <= n; j += nr) {
            int b0 = srcOff + j;
            for (int ir = 0; ir < m; ir += 4) {
                panelTile(k, pa, ir, m, src, b0, b0 + lanes, b0 + 2 * lanes, b0 + 3 * lanes, offs, c, cOff + ir * ldc + j, ldc, tile);
            }
        }
        // the last columns, fewer than 4L: one vector at a time, the final one masked
        for (; j < n; j += lanes) {
            VectorMask<Float> mask = species().indexInRange(j, n);
            for (int ir = 0; ir < m; ir += 4) {
                panelTile1(k, pa, ir, m, src, srcOff + j, offs, c, cOff + ir * ldc + j, ldc, tile, mask, Math.min(lanes, n - j));
            }
        }
    }

    /**
     * Rows ir .. ir+3 of a 4 x 4-vector tile ({@link #shiftedTile}) at c[co]; when fewer than 4
     * rows of m are left, through the scratch {@code tile} ([4, 4L]) and only those rows copied.
     */
    private void panelTile(int k, float[] pa, int ir, int m, float[] src, int b0, int b1, int b2, int b3, int[] offs,
                           float[] c, int co, int ldc, float[] tile) {
        if (m - ir >= 4) {
            shiftedTile(k, pa, ir * k, src, b0, b1, b2, b3, offs, c, co, ldc);
            return;
        }
        int nr = 4 * species().length();
        shiftedTile(k, pa, ir * k, src, b0, b1, b2, b3, offs, tile, 0, nr);
        for (int r = 0; r < m - ir; r++) System.arraycopy(tile, r * nr, c, co + r * ldc, nr);
    }

    /** {@link #panelTile} for one vector ({@link #shiftedTile1}, the lanes of mask; w of them copied from the scratch). */
    private void panelTile1(int k, float[] pa, int ir, int m, float[] src, int b, int[] offs,
                            float[] c, int co, int ldc, float[] tile, VectorMask<Float> mask, int w) {
        if (m - ir >= 4) {
            shiftedTile1(k, pa, ir * k, src, b, offs, c, co, ldc, mask);
            return;
        }
        int lanes = species().length();
        shiftedTile1(k, pa, ir * k, src, b, offs, tile, 0, lanes, mask);
        for (int r = 0; r < m - ir; r++) System.arraycopy(tile, r * lanes, c, co + r * ldc, w);
    }

    /**
     * C[4, 4L] at c[co] (row stride ldc) = packed A panel (4 per step) x shifted src rows, vector
     * v's columns starting at {@code base_v} (consecutive in a span, or in rows of their own).
     */
    private void shiftedTile(int k, float[] pa, int ao, float[] src, int base0, int base1, int base2, int base3, int[] offs,
                             float[] c, int co, int ldc) {
        VectorSpecies<Float> s = species();
        int l = s.length();
        int r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int p = 0; p < k; p++, ao += 4) {
            int off = offs[p];
            FloatVector b0 = FloatVector.fromArray(s, src, base0 + off);
            FloatVector b1 = FloatVector.fromArray(s, src, base1 + off);
            FloatVector b2 = FloatVector.fromArray(s, src, base2 + off);
            FloatVector b3 = FloatVector.fromArray(s, src, base3 + off);
            FloatVector x = FloatVector.broadcast(s, pa[ao]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(s, pa[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(s, pa[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(s, pa[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        c00.intoArray(c, co); c01.intoArray(c, co + l); c02.intoArray(c, co + 2 * l); c03.intoArray(c, co + 3 * l);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + l); c12.intoArray(c, r1 + 2 * l); c13.intoArray(c, r1 + 3 * l);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + l); c22.intoArray(c, r2 + 2 * l); c23.intoArray(c, r2 + 3 * l);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + l); c32.intoArray(c, r3 + 2 * l); c33.intoArray(c, r3 + 3 * l);
    }

    /**
     * C[8, 3L] at c[co] (row stride ldc): rows 0-3 from the packed panel at ao, rows 4-7 from the
     * one at ao2, times 3 vectors of the shifted src rows, vector v's columns starting at
     * {@code base_v} (consecutive in one row of a span, or in rows of their own:
     * {@link #gemmShiftedBRowsPacked}); each element the same FMA chain over p = 0..k-1 from 0 as
     * in {@link #shiftedTile} (the same bits).
     */
    private void shiftedTile83(int k, float[] pa, int ao, int ao2, float[] src, int base0, int base1, int base2,
                               int[] offs, float[] c, int co, int ldc) {
        VectorSpecies<Float> s = species();
        int l = s.length();
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
        FloatVector c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
        for (int p = 0; p < k; p++, ao += 4, ao2 += 4) {
            int off = offs[p];
            FloatVector b0 = FloatVector.fromArray(s, src, base0 + off);
            FloatVector b1 = FloatVector.fromArray(s, src, base1 + off);
            FloatVector b2 = FloatVector.fromArray(s, src, base2 + off);
            FloatVector x = FloatVector.broadcast(s, pa[ao]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(s, pa[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(s, pa[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(s, pa[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(s, pa[ao2]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(s, pa[ao2 + 1]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(s, pa[ao2 + 2]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(s, pa[ao2 + 3]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
        }
        int r = co;
        c00.intoArray(c, r); c01.intoArray(c, r + l); c02.intoArray(c, r + 2 * l); r += ldc;
        c10.intoArray(c, r); c11.intoArray(c, r + l); c12.intoArray(c, r + 2 * l); r += ldc;
        c20.intoArray(c, r); c21.intoArray(c, r + l); c22.intoArray(c, r + 2 * l); r += ldc;
        c30.intoArray(c, r); c31.intoArray(c, r + l); c32.intoArray(c, r + 2 * l); r += ldc;
        c40.intoArray(c, r); c41.intoArray(c, r + l); c42.intoArray(c, r + 2 * l); r += ldc;
        c50.intoArray(c, r); c51.intoArray(c, r + l); c52.intoArray(c, r + 2 * l); r += ldc;
        c60.intoArray(c, r); c61.intoArray(c, r + l); c62.intoArray(c, r + 2 * l); r += ldc;
        c70.intoArray(c, r); c71.intoArray(c, r + l); c72.intoArray(c, r + 2 * l);
    }

    /**
     * C[4, L]: {@link #shiftedTile} on one vector of columns over all k taps, only the lanes of
     * {@code mask} read and written (a masked FMA lane is the scalar Math.fma: the same bits as
     * a full tile).
     */
    private void shiftedTile1(int k, float[] pa, int ao, float[] src, int base, int[] offs,
                              float[] c, int co, int ldc, VectorMask<Float> mask) {
        VectorSpecies<Float> s = species();
        FloatVector c0 = FloatVector.zero(s), c1 = c0, c2 = c0, c3 = c0;
        for (int p = 0; p < k; p++, ao += 4) {
            FloatVector b = FloatVector.fromArray(s, src, base + offs[p], mask);
            c0 = FloatVector.broadcast(s, pa[ao]).fma(b, c0);
            c1 = FloatVector.broadcast(s, pa[ao + 1]).fma(b, c1);
            c2 = FloatVector.broadcast(s, pa[ao + 2]).fma(b, c2);
            c3 = FloatVector.broadcast(s, pa[ao + 3]).fma(b, c3);
        }
        c0.intoArray(c, co, mask); c1.intoArray(c, co + ldc, mask); c2.intoArray(c, co + 2 * ldc, mask); c3.intoArray(c, co + 3 * ldc, mask);
    }

    @Override
    public void gemmShiftedBt(int m, int k, int n, float[] a, int aOff, int lda,
                              float[] src, int srcOff, int[] offs, float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || k <= 0) return;
        if (n <= 0) {
            if (beta == 0f) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + k, 0f);
            return;
        }
        int l = species().length(), end = species().loopBound(n), m8 = m & ~7, k3 = k - k % 3, t24 = 24 * l;
        float[][] scratch = SHIFT_SCRATCH.get();
        if (scratch[2].length < (m8 / 8) * (SHIFT_JC / 3) * t24) scratch[2] = new float[(m8 / 8) * (SHIFT_JC / 3) * t24];
        float[] acc = scratch[2];
        int[][] idx = SHIFT_INDEX.get();
        for (int j0 = 0; j0 < k3 && m8 > 0; j0 += SHIFT_JC) {
            int j1 = Math.min(k3, j0 + SHIFT_JC), mb = m8 / 8, tiles = mb * ((j1 - j0) / 3);
            java.util.Arrays.fill(acc, 0, tiles * t24, 0f);
            for (int q0 = 0; q0 < end; q0 += SHIFT_QB) {
                int q1 = Math.min(end, q0 + SHIFT_QB);
                // the 8 rows of A stay in L1 while every 3-tap group of src passes them
                for (int i = 0, ib = 0; i < m8; i += 8, ib++) {
                    for (int j = j0, jg = 0; j < j1; j += 3, jg++) {
                        dotTile(q0, q1, a, aOff + i * lda, lda, src, srcOff, offs, j, acc, (jg * mb + ib) * t24);
                    }
                }
            }
            int ng = (j1 - j0) / 3, ngv = ng - ng % l;
            for (int i = 0, ib = 0; i < m8; i += 8, ib++) {
                for (int r = 0; r < 8; r++) {
                    for (int cc = 0; cc < 3; cc++) {
                        if (ngv > 0) {
                            finishLanes(ngv, mb * t24, (ib * t24) + (r * 3 + cc) * l, acc, n, end, a, aOff + (i + r) * lda,
                                    src, srcOff, offs, j0 + cc, beta != 0f, c, cOff + (i + r) * ldc + j0 + cc, idx);
                        }
                        for (int jg = ngv; jg < ng; jg++) {
                            int t = jg * mb + ib, j = j0 + 3 * jg + cc;
                            float sum = 0f;
                            for (int e = t * t24 + (r * 3 + cc) * l, f = e + l; e < f; e++) sum += acc[e];
                            dotStore(sum, n, end, a, aOff + (i + r) * lda, src, srcOff + offs[j], beta != 0f, c,
                                    cOff + (i + r) * ldc + j);
                        }
                    }
                }
            }
        }
        for (int i = m8; i < m; i++) {
            for (int j = 0; j < k; j++) dot1(n, a, aOff + i * lda, src, srcOff + offs[j], beta != 0f, c, cOff + i * ldc + j);
        }
        for (int j = k3; j < k; j++) {
            for (int i = 0; i < m8; i++) dot1(n, a, aOff + i * lda, src, srcOff + offs[j], beta != 0f, c, cOff + i * ldc + j);
        }
    }

    private static final ThreadLocal<int[][]> SHIFT_INDEX = ThreadLocal.withInitial(() -> new int[3][64]);

    /**
     * The end of gemmShiftedBt for one row of A and one of the 3 tap residues, L outputs at a
     * time (the taps j = j0 + 3u for u < ngv, ngv a multiple of L, whose lane accumulators lie
     * at acc[at + u * stride ..]): each lane of the vector does what the scalar end does for its
     * output, in the same order (0 + lane 0 + lane 1 + ... + lane L-1, then the tail columns
     * [end, n) by FMA, then C + s or s), so the bits are those of {@link #dot1}. Gathers replace
     * L scalar lane sums and the tail's scattered reads, which cost as much as the products
     * themselves on small volumes (8^3 voxels: 778 padded voxels per call, 27,648 outputs).
     */
    private void finishLanes(int ngv, int stride, int at, float[] acc, int n, int end, float[] a, int ao,
                             float[] src, int srcOff, int[] offs, int j0, boolean add, float[] c, int co, int[][] idx) {
        VectorSpecies<Float> s = species();
        int l = s.length();
        int[] accIdx = idx[0], srcIdx = idx[1], cIdx = idx[2];
        for (int u = 0; u < l; u++) {
            accIdx[u] = u * stride;
            cIdx[u] = 3 * u;
        }
        for (int u0 = 0; u0 < ngv; u0 += l) {
            FloatVector sum = FloatVector.zero(s);
            int base = at + u0 * stride;
            for (int e = 0; e < l; e++) sum = sum.add(FloatVector.fromArray(s, acc, base + e, accIdx, 0));
            if (end < n) {
                for (int u = 0; u < l; u++) srcIdx[u] = offs[j0 + 3 * (u0 + u)];
                for (int q = end; q < n; q++) {
                    sum = FloatVector.broadcast(s, a[ao + q]).fma(FloatVector.fromArray(s, src, srcOff + q, srcIdx, 0), sum);
                }
            }
            int ci = co + 3 * u0;
            if (add) sum = FloatVector.fromArray(s, c, ci, cIdx, 0).add(sum);
            sum.intoArray(c, ci, cIdx, 0);
        }
    }

    /**
     * Lane accumulators acc[at + (3r + c) * L ..] (+)= 8 rows of A (stride lda, from a0) times 3
     * shifted rows of src (offs[j..j+2]) over columns [q0, q1), a multiple of L long: 24
     * accumulators, 8 + 3 loads per 24 FMAs (rows of A past the last multiple of 8 go through
     * dot1, one product at a time).
     */
    private void dotTile(int q0, int q1, float[] a, int a0, int lda, float[] src, int base, int[] offs, int j,
                         float[] acc, int at) {
        VectorSpecies<Float> s = species();
        int l = s.length();
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        int b0 = base + offs[j], b1 = base + offs[j + 1], b2 = base + offs[j + 2];
        FloatVector c00 = FloatVector.fromArray(s, acc, at + 0 * l), c01 = FloatVector.fromArray(s, acc, at + 1 * l), c02 = FloatVector.fromArray(s, acc, at + 2 * l);
        FloatVector c10 = FloatVector.fromArray(s, acc, at + 3 * l), c11 = FloatVector.fromArray(s, acc, at + 4 * l), c12 = FloatVector.fromArray(s, acc, at + 5 * l);
        FloatVector c20 = FloatVector.fromArray(s, acc, at + 6 * l), c21 = FloatVector.fromArray(s, acc, at + 7 * l), c22 = FloatVector.fromArray(s, acc, at + 8 * l);
        FloatVector c30 = FloatVector.fromArray(s, acc, at + 9 * l), c31 = FloatVector.fromArray(s, acc, at + 10 * l), c32 = FloatVector.fromArray(s, acc, at + 11 * l);
        FloatVector c40 = FloatVector.fromArray(s, acc, at + 12 * l), c41 = FloatVector.fromArray(s, acc, at + 13 * l), c42 = FloatVector.fromArray(s, acc, at + 14 * l);
        FloatVector c50 = FloatVector.fromArray(s, acc, at + 15 * l), c51 = FloatVector.fromArray(s, acc, at + 16 * l), c52 = FloatVector.fromArray(s, acc, at + 17 * l);
        FloatVector c60 = FloatVector.fromArray(s, acc, at + 18 * l), c61 = FloatVector.fromArray(s, acc, at + 19 * l), c62 = FloatVector.fromArray(s, acc, at + 20 * l);
        FloatVector c70 = FloatVector.fromArray(s, acc, at + 21 * l), c71 = FloatVector.fromArray(s, acc, at + 22 * l), c72 = FloatVector.fromArray(s, acc, at + 23 * l);
        for (int q = q0; q < q1; q += l) {
            FloatVector x0 = FloatVector.fromArray(s, src, b0 + q), x1 = FloatVector.fromArray(s, src, b1 + q), x2 = FloatVector.fromArray(s, src, b2 + q);
            FloatVector y = FloatVector.fromArray(s, a, a0 + q);
            c00 = y.fma(x0, c00); c01 = y.fma(x1, c01); c02 = y.fma(x2, c02);
            y = FloatVector.fromArray(s, a, a1 + q);
            c10 = y.fma(x0, c10); c11 = y.fma(x1, c11); c12 = y.fma(x2, c12);
            y = FloatVector.fromArray(s, a, a2 + q);
            c20 = y.fma(x0, c20); c21 = y.fma(x1, c21); c22 = y.fma(x2, c22);
            y = FloatVector.fromArray(s, a, a3 + q);
            c30 = y.fma(x0, c30); c31 = y.fma(x1, c31); c32 = y.fma(x2, c32);
            y = FloatVector.fromArray(s, a, a4 + q);
            c40 = y.fma(x0, c40); c41 = y.fma(x1, c41); c42 = y.fma(x2, c42);
            y = FloatVector.fromArray(s, a, a5 + q);
            c50 = y.fma(x0, c50); c51 = y.fma(x1, c51); c52 = y.fma(x2, c52);
            y = FloatVector.fromArray(s, a, a6 + q);
            c60 = y.fma(x0, c60); c61 = y.fma(x1, c61); c62 = y.fma(x2, c62);
            y = FloatVector.fromArray(s, a, a7 + q);
            c70 = y.fma(x0, c70); c71 = y.fma(x1, c71); c72 = y.fma(x2, c72);
        }
        c00.intoArray(acc, at + 0 * l); c01.intoArray(acc, at + 1 * l); c02.intoArray(acc, at + 2 * l);
        c10.intoArray(acc, at + 3 * l); c11.intoArray(acc, at + 4 * l); c12.intoArray(acc, at + 5 * l);
        c20.intoArray(acc, at + 6 * l); c21.intoArray(acc, at + 7 * l); c22.intoArray(acc, at + 8 * l);
        c30.intoArray(acc, at + 9 * l); c31.intoArray(acc, at + 10 * l); c32.intoArray(acc, at + 11 * l);
        c40.intoArray(acc, at + 12 * l); c41.intoArray(acc, at + 13 * l); c42.intoArray(acc, at + 14 * l);
        c50.intoArray(acc, at + 15 * l); c51.intoArray(acc, at + 16 * l); c52.intoArray(acc, at + 17 * l);
        c60.intoArray(acc, at + 18 * l); c61.intoArray(acc, at + 19 * l); c62.intoArray(acc, at + 20 * l);
        c70.intoArray(acc, at + 21 * l); c71.intoArray(acc, at + 22 * l); c72.intoArray(acc, at + 23 * l);
    }

    /** One dot product of {@link #gemmShiftedBt}'s kind: the same lane chains, lane sum and tail. */
    private void dot1(int len, float[] a, int ao, float[] src, int bo, boolean add, float[] c, int ci) {
        VectorSpecies<Float> s = species();
        int l = s.length(), end = s.loopBound(len);
        FloatVector acc = FloatVector.zero(s);
        for (int q = 0; q < end; q += l) {
            acc = FloatVector.fromArray(s, a, ao + q).fma(FloatVector.fromArray(s, src, bo + q), acc);
        }
        dotStore(sumLanes(acc), len, end, a, ao, src, bo, add, c, ci);
    }

    /** s + the scalar tail [end, len) by FMA, stored into (add) or over c[ci]. */
    private static void dotStore(float s, int len, int end, float[] a, int ao, float[] src, int bo,
                                 boolean add, float[] c, int ci) {
        for (int q = end; q < len; q++) s = Math.fma(a[ao + q], src[bo + q], s);
        c[ci] = add ? c[ci] + s : s;
    }

    // ---- gemmShiftedBtChain: the rows of C in the lanes -------------------------------------------
    // Conv3d's weight gradient as one FMA chain per element of C: the block's columns of A are
    // transposed so that one vector holds A[i0 .. i0+L-1, q], and each tap j adds src[offs[j] + q]
    // times that vector to its lane accumulator: one broadcast load per FMA, no lane sums at the
    // end and no shifted (cache-line-splitting) vector loads. Each lane is the scalar twin's chain
    // for its C element, so the twins give the same bits.

    /** Columns per block of gemmShiftedBtChain: the block's transposed A ([CHAIN_BLOCK, L] per lane block, 32 KB at 16 lanes) stays in L1 (256: 5 % slower; 1,024 to 4,096: no faster). */
    private static final int CHAIN_BLOCK = 512;

    /** Per thread: C transposed ([k, mp], the chains so far) and the block's transposed A ([CHAIN_BLOCK, mp]). */
    private static final ThreadLocal<float[][]> CHAIN_SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    @Override
    public void gemmShiftedBtChain(int m, int k, int n, float[] a, int aOff, int lda,
                                   float[] src, int srcOff, int[] offs, float beta, float[] c, int cOff, int ldc) {
        chainBody(m, k, a, aOff, lda, src, srcOff, ZERO_START, 0, 1, Math.max(0, n), offs, beta, c, cOff, ldc);
    }

    private static final int[] ZERO_START = {0};

    @Override
    public void gemmShiftedBtChainRows(int m, int k, float[] a, int aOff, int lda, float[] src, int srcOff,
                                       int[] rowStarts, int rowsOff, int rows, int len, int[] offs,
                                       float beta, float[] c, int cOff, int ldc) {
        chainBody(m, k, a, aOff, lda, src, srcOff, rowStarts, rowsOff, Math.max(0, rows), Math.max(0, len), offs, beta, c, cOff, ldc);
    }

    /**
     * Both chain kernels: the columns are q = starts[startsOff + r] + t for r &lt; rows, t &lt; len, in
     * that order (one row from 0 for gemmShiftedBtChain). They are cut into blocks of at most
     * CHAIN_BLOCK, each a list of pieces of rows; a piece's columns are consecutive in a and src.
     */
    private void chainBody(int m, int k, float[] a, int aOff, int lda, float[] src, int srcOff,
                           int[] starts, int startsOff, int rows, int len, int[] offs,
                           float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || k <= 0) return;
        int l = species().length(), mp = (m + l - 1) / l * l;
        float[][] scratch = CHAIN_SCRATCH.get();
        if (scratch[0].length < k * mp) scratch[0] = new float[k * mp];
        if (scratch[1].length < CHAIN_BLOCK * mp) scratch[1] = new float[CHAIN_BLOCK * mp];
        float[] ct = scratch[0], at = scratch[1];
        int[][] pieces = CHAIN_PIECES.get();
        int[] pieceStart = pieces[0], pieceLen = pieces[1];
        VectorShuffle<Float>[] shuffles = transposeShuffles;
        // the taps that take 24-tap tiles: the leading whole tiles whose offsets come in runs of
        // three (+0, +1, +2: Conv3d's kx, 8 bases per tile); the rest go one tap at a time
        int tiled = 0;
        while (tiled + 24 <= k && tripled(offs, tiled, 8)) tiled += 24;
        // ct[j, i]: the chain of C[i, j], from beta C (0 when beta is 0); the padding rows i >= m are 0
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < mp; i++) ct[j * mp + i] = beta == 0f || i >= m ? 0f : c[cOff + i * ldc + j];
        }
        if (m < mp) java.util.Arrays.fill(at, 0, CHAIN_BLOCK * mp, 0f);   // padding rows: 0 in every block
        int r = 0, t = 0;   // the next column: row r, column t of it
        while (r < rows && len > 0) {
            // the block: pieces of rows up to CHAIN_BLOCK columns
            int pieceCount = 0, blockLen = 0;
            while (r < rows && blockLen < CHAIN_BLOCK) {
                int take = Math.min(len - t, CHAIN_BLOCK - blockLen);
                pieceStart[pieceCount] = starts[startsOff + r] + t;
                pieceLen[pieceCount++] = take;
                blockLen += take;
                t += take;
                if (t == len) { r++; t = 0; }
            }
            // at[pos, i] = A[i, q] for the block's columns q at positions pos: per piece, 16 x 16
            // blocks in registers at 16 lanes, the rest one by one
            for (int pc = 0, pos = 0; pc < pieceCount; pos += pieceLen[pc++]) {
                int q0 = pieceStart[pc], pl = pieceLen[pc], qt = 0, it = 0;
                if (l == 16) {
                    qt = pl & ~15;
                    it = m & ~15;
                    for (int i = 0; i < it; i += 16) transpose16(a, aOff + i * lda + q0, lda, qt, at, pos * mp + i, mp, shuffles);
                }
                for (int i = 0; i < m; i++) {
                    int ai = aOff + i * lda + q0;
                    for (int q = i < it ? qt : 0; q < pl; q++) at[(pos + q) * mp + i] = a[ai + q];
                }
            }
            for (int i0 = 0; i0 < mp; i0 += l) {
                int j = 0;
                for (; j < tiled; j += 24) chainTile24(pieceStart, pieceLen, pieceCount, at, i0, mp, src, srcOff, offs, j, ct);
                for (; j < k; j++) chainTile1(pieceStart, pieceLen, pieceCount, at, i0, mp, src, srcOff + offs[j], ct, j * mp + i0);
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) c[cOff + i * ldc + j] = ct[j * mp + i];
        }
    }

    /** Per thread: the pieces of a chain block, their first columns and lengths (at most CHAIN_BLOCK each). */
    private static final ThreadLocal<int[][]> CHAIN_PIECES = ThreadLocal.withInitial(() -> new int[2][CHAIN_BLOCK]);

    /** {@link #transpose16}'s shuffles at 16 lanes (made once per kernel set), else null. */
    private final VectorShuffle<Float>[] transposeShuffles = species().length() == 16 ? transposeShuffles() : null;

    /**
     * The shuffles of {@link #transpose16}: per stage (lane bit b = 8, 4, 2, 1), the rearranges of
     * rows (A, B) into the low and the high output row: lane c takes A's lane when its bit b is
     * clear, else B's, from the source lane with bit b cleared (low) or set (high).
     */
    @SuppressWarnings("unchecked")
    private VectorShuffle<Float>[] transposeShuffles() {
        VectorSpecies<Float> sp = species();
        int l = sp.length();
        VectorShuffle<Float>[] sh = new VectorShuffle[8];
        for (int s = 0, bit = 8; bit > 0; s++, bit >>= 1) {
            int b = bit;
            sh[2 * s] = VectorShuffle.fromOp(sp, c -> (c & b) == 0 ? c : l + (c ^ b));
            sh[2 * s + 1] = VectorShuffle.fromOp(sp, c -> (c & b) != 0 ? l + c : c ^ b);
        }
        return sh;
    }

    /**
     * at[atOff + q * mp + k] = a[a0 + k * lda + q] for k < 16, q < len (a multiple of 16), at 16
     * lanes: per 16 x 16 block, 16 loads, four stages of 16 two-vector rearranges and 16 stores.
     * Each stage pairs rows i and i + 8 into rows 2i and 2i + 1 (a perfect shuffle of the rows),
     * moving the row index's top bit into one bit of the lane index (8, 4, 2, 1 in turn) and that
     * lane bit into the row index's low bit: after four stages row q holds column q.
     */
    private void transpose16(float[] a, int a0, int lda, int len, float[] at, int atOff, int mp, VectorShuffle<Float>[] sh) {
        VectorSpecies<Float> s = species();
        for (int q = 0; q < len; q += 16) {
            int o = a0 + q;
            FloatVector r0 = FloatVector.fromArray(s, a, o + 0 * lda);
            FloatVector r1 = FloatVector.fromArray(s, a, o + 1 * lda);
            FloatVector r2 = FloatVector.fromArray(s, a, o + 2 * lda);
            FloatVector r3 = FloatVector.fromArray(s, a, o + 3 * lda);
            FloatVector r4 = FloatVector.fromArray(s, a, o + 4 * lda);
            FloatVector r5 = FloatVector.fromArray(s, a, o + 5 * lda);
            FloatVector r6 = FloatVector.fromArray(s, a, o + 6 * lda);
            FloatVector r7 = FloatVector.fromArray(s, a, o + 7 * lda);
            FloatVector r8 = FloatVector.fromArray(s, a, o + 8 * lda);
            FloatVector r9 = FloatVector.fromArray(s, a, o + 9 * lda);
            FloatVector r10 = FloatVector.fromArray(s, a, o + 10 * lda);
            FloatVector r11 = FloatVector.fromArray(s, a, o + 11 * lda);
            FloatVector r12 = FloatVector.fromArray(s, a, o + 12 * lda);
            FloatVector r13 = FloatVector.fromArray(s, a, o + 13 * lda);
            FloatVector r14 = FloatVector.fromArray(s, a, o + 14 * lda);
            FloatVector r15 = FloatVector.fromArray(s, a, o + 15 * lda);
            for (int stage = 0; stage < 4; stage++) {
                VectorShuffle<Float> lo = sh[2 * stage], hi = sh[2 * stage + 1];
                FloatVector t0 = r0.rearrange(lo, r8), t1 = r0.rearrange(hi, r8);
                FloatVector t2 = r1.rearrange(lo, r9), t3 = r1.rearrange(hi, r9);
                FloatVector t4 = r2.rearrange(lo, r10), t5 = r2.rearrange(hi, r10);
                FloatVector t6 = r3.rearrange(lo, r11), t7 = r3.rearrange(hi, r11);
                FloatVector t8 = r4.rearrange(lo, r12), t9 = r4.rearrange(hi, r12);
                FloatVector t10 = r5.rearrange(lo, r13), t11 = r5.rearrange(hi, r13);
                FloatVector t12 = r6.rearrange(lo, r14), t13 = r6.rearrange(hi, r14);
                FloatVector t14 = r7.rearrange(lo, r15), t15 = r7.rearrange(hi, r15);
                r0 = t0; r1 = t1; r2 = t2; r3 = t3; r4 = t4; r5 = t5; r6 = t6; r7 = t7;
                r8 = t8; r9 = t9; r10 = t10; r11 = t11; r12 = t12; r13 = t13; r14 = t14; r15 = t15;
            }
            int d = atOff + q * mp;
            r0.intoArray(at, d + 0 * mp);
            r1.intoArray(at, d + 1 * mp);
            r2.intoArray(at, d + 2 * mp);
            r3.intoArray(at, d + 3 * mp);
            r4.intoArray(at, d + 4 * mp);
            r5.intoArray(at, d + 5 * mp);
            r6.intoArray(at, d + 6 * mp);
            r7.intoArray(at, d + 7 * mp);
            r8.intoArray(at, d + 8 * mp);
            r9.intoArray(at, d + 9 * mp);
            r10.intoArray(at, d + 10 * mp);
            r11.intoArray(at, d + 11 * mp);
            r12.intoArray(at, d + 12 * mp);
            r13.intoArray(at, d + 13 * mp);
            r14.intoArray(at, d + 14 * mp);
            r15.intoArray(at, d + 15 * mp);
        }
    }

    /** Whether offs[j .. j + 3t) come in t runs of three consecutive offsets. */
    private static boolean tripled(int[] offs, int j, int t) {
        for (int u = 0; u < t; u++) {
            int o = offs[j + 3 * u];
            if (offs[j + 3 * u + 1] != o + 1 || offs[j + 3 * u + 2] != o + 2) return false;
        }
        return true;
    }

    /**
     * ct[j + t, i0 ..] for t < 24 (rows of stride mp) += the chains over the block's columns (its pieces in order):
     * 24 lane accumulators, one vector of the transposed A and 8 broadcasts per column (one per run
     * of three taps: a broadcast per FMA took a third of the tile's time, 24.5 against 18.8 ms for
     * dw of [1, 16, 64^3] on one thread).
     */
    private void chainTile24(int[] pieceStart, int[] pieceLen, int pieces, float[] at, int i0, int mp,
                             float[] src, int base, int[] offs, int j, float[] ct) {
        VectorSpecies<Float> s = species();
        int r = j * mp + i0;
        int b0 = base + offs[j + 0], b1 = base + offs[j + 3], b2 = base + offs[j + 6], b3 = base + offs[j + 9];
        int b4 = base + offs[j + 12], b5 = base + offs[j + 15], b6 = base + offs[j + 18], b7 = base + offs[j + 21];
        FloatVector c0 = FloatVector.fromArray(s, ct, r + 0 * mp), c1 = FloatVector.fromArray(s, ct, r + 1 * mp), c2 = FloatVector.fromArray(s, ct, r + 2 * mp);
        FloatVector c3 = FloatVector.fromArray(s, ct, r + 3 * mp), c4 = FloatVector.fromArray(s, ct, r + 4 * mp), c5 = FloatVector.fromArray(s, ct, r + 5 * mp);
        FloatVector c6 = FloatVector.fromArray(s, ct, r + 6 * mp), c7 = FloatVector.fromArray(s, ct, r + 7 * mp), c8 = FloatVector.fromArray(s, ct, r + 8 * mp);
        FloatVector c9 = FloatVector.fromArray(s, ct, r + 9 * mp), c10 = FloatVector.fromArray(s, ct, r + 10 * mp), c11 = FloatVector.fromArray(s, ct, r + 11 * mp);
        FloatVector c12 = FloatVector.fromArray(s, ct, r + 12 * mp), c13 = FloatVector.fromArray(s, ct, r + 13 * mp), c14 = FloatVector.fromArray(s, ct, r + 14 * mp);
        FloatVector c15 = FloatVector.fromArray(s, ct, r + 15 * mp), c16 = FloatVector.fromArray(s, ct, r + 16 * mp), c17 = FloatVector.fromArray(s, ct, r + 17 * mp);
        FloatVector c18 = FloatVector.fromArray(s, ct, r + 18 * mp), c19 = FloatVector.fromArray(s, ct, r + 19 * mp), c20 = FloatVector.fromArray(s, ct, r + 20 * mp);
        FloatVector c21 = FloatVector.fromArray(s, ct, r + 21 * mp), c22 = FloatVector.fromArray(s, ct, r + 22 * mp), c23 = FloatVector.fromArray(s, ct, r + 23 * mp);
        // Tap kx of a run adds x[b + q + kx] y(q) over the piece's voxels q; at step p the one
        // broadcast of x[b + p] serves all three: kx = 0 with y(p), 1 with y(p-1), 2 with y(p-2)
        // (y0, y1, y2). Each accumulator still takes its voxels in order, so the bits stay the
        // scalar chain's; the first two and last two steps of a piece lack a term or two.
        for (int pc = 0, ao = i0; pc < pieces; pc++) {
            int qs = pieceStart[pc], qe = qs + pieceLen[pc];
            FloatVector y0 = FloatVector.fromArray(s, at, ao), y1, y2;
            c0 = FloatVector.broadcast(s, src[b0 + qs]).fma(y0, c0);
            c3 = FloatVector.broadcast(s, src[b1 + qs]).fma(y0, c3);
            c6 = FloatVector.broadcast(s, src[b2 + qs]).fma(y0, c6);
            c9 = FloatVector.broadcast(s, src[b3 + qs]).fma(y0, c9);
            c12 = FloatVector.broadcast(s, src[b4 + qs]).fma(y0, c12);
            c15 = FloatVector.broadcast(s, src[b5 + qs]).fma(y0, c15);
            c18 = FloatVector.broadcast(s, src[b6 + qs]).fma(y0, c18);
            c21 = FloatVector.broadcast(s, src[b7 + qs]).fma(y0, c21);
            if (qe - qs == 1) {
                c1 = FloatVector.broadcast(s, src[b0 + qs + 1]).fma(y0, c1);
                c4 = FloatVector.broadcast(s, src[b1 + qs + 1]).fma(y0, c4);
                c7 = FloatVector.broadcast(s, src[b2 + qs + 1]).fma(y0, c7);
                c10 = FloatVector.broadcast(s, src[b3 + qs + 1]).fma(y0, c10);
                c13 = FloatVector.broadcast(s, src[b4 + qs + 1]).fma(y0, c13);
                c16 = FloatVector.broadcast(s, src[b5 + qs + 1]).fma(y0, c16);
                c19 = FloatVector.broadcast(s, src[b6 + qs + 1]).fma(y0, c19);
                c22 = FloatVector.broadcast(s, src[b7 + qs + 1]).fma(y0, c22);
                c2 = FloatVector.broadcast(s, src[b0 + qs + 2]).fma(y0, c2);
                c5 = FloatVector.broadcast(s, src[b1 + qs + 2]).fma(y0, c5);
                c8 = FloatVector.broadcast(s, src[b2 + qs + 2]).fma(y0, c8);
                c11 = FloatVector.broadcast(s, src[b3 + qs + 2]).fma(y0, c11);
                c14 = FloatVector.broadcast(s, src[b4 + qs + 2]).fma(y0, c14);
                c17 = FloatVector.broadcast(s, src[b5 + qs + 2]).fma(y0, c17);
                c20 = FloatVector.broadcast(s, src[b6 + qs + 2]).fma(y0, c20);
                c23 = FloatVector.broadcast(s, src[b7 + qs + 2]).fma(y0, c23);
                ao += mp;
                continue;
            }
            y1 = y0;
            y0 = FloatVector.fromArray(s, at, ao + mp);
            { FloatVector x0 = FloatVector.broadcast(s, src[b0 + qs + 1]); c0 = x0.fma(y0, c0); c1 = x0.fma(y1, c1); }
            { FloatVector x1 = FloatVector.broadcast(s, src[b1 + qs + 1]); c3 = x1.fma(y0, c3); c4 = x1.fma(y1, c4); }
            { FloatVector x2 = FloatVector.broadcast(s, src[b2 + qs + 1]); c6 = x2.fma(y0, c6); c7 = x2.fma(y1, c7); }
            { FloatVector x3 = FloatVector.broadcast(s, src[b3 + qs + 1]); c9 = x3.fma(y0, c9); c10 = x3.fma(y1, c10); }
            { FloatVector x4 = FloatVector.broadcast(s, src[b4 + qs + 1]); c12 = x4.fma(y0, c12); c13 = x4.fma(y1, c13); }
            { FloatVector x5 = FloatVector.broadcast(s, src[b5 + qs + 1]); c15 = x5.fma(y0, c15); c16 = x5.fma(y1, c16); }
            { FloatVector x6 = FloatVector.broadcast(s, src[b6 + qs + 1]); c18 = x6.fma(y0, c18); c19 = x6.fma(y1, c19); }
            { FloatVector x7 = FloatVector.broadcast(s, src[b7 + qs + 1]); c21 = x7.fma(y0, c21); c22 = x7.fma(y1, c22); }
            ao += 2 * mp;
            for (int p = qs + 2; p < qe; p++, ao += mp) {
                y2 = y1;
                y1 = y0;
                y0 = FloatVector.fromArray(s, at, ao);
                { FloatVector x0 = FloatVector.broadcast(s, src[b0 + p]); c0 = x0.fma(y0, c0); c1 = x0.fma(y1, c1); c2 = x0.fma(y2, c2); }
                { FloatVector x1 = FloatVector.broadcast(s, src[b1 + p]); c3 = x1.fma(y0, c3); c4 = x1.fma(y1, c4); c5 = x1.fma(y2, c5); }
                { FloatVector x2 = FloatVector.broadcast(s, src[b2 + p]); c6 = x2.fma(y0, c6); c7 = x2.fma(y1, c7); c8 = x2.fma(y2, c8); }
                { FloatVector x3 = FloatVector.broadcast(s, src[b3 + p]); c9 = x3.fma(y0, c9); c10 = x3.fma(y1, c10); c11 = x3.fma(y2, c11); }
                { FloatVector x4 = FloatVector.broadcast(s, src[b4 + p]); c12 = x4.fma(y0, c12); c13 = x4.fma(y1, c13); c14 = x4.fma(y2, c14); }
                { FloatVector x5 = FloatVector.broadcast(s, src[b5 + p]); c15 = x5.fma(y0, c15); c16 = x5.fma(y1, c16); c17 = x5.fma(y2, c17); }
                { FloatVector x6 = FloatVector.broadcast(s, src[b6 + p]); c18 = x6.fma(y0, c18); c19 = x6.fma(y1, c19); c20 = x6.fma(y2, c20); }
                { FloatVector x7 = FloatVector.broadcast(s, src[b7 + p]); c21 = x7.fma(y0, c21); c22 = x7.fma(y1, c22); c23 = x7.fma(y2, c23); }
            }
            y2 = y1;
            y1 = y0;
            { FloatVector x0 = FloatVector.broadcast(s, src[b0 + qe]); c1 = x0.fma(y1, c1); c2 = x0.fma(y2, c2); }
            { FloatVector x1 = FloatVector.broadcast(s, src[b1 + qe]); c4 = x1.fma(y1, c4); c5 = x1.fma(y2, c5); }
            { FloatVector x2 = FloatVector.broadcast(s, src[b2 + qe]); c7 = x2.fma(y1, c7); c8 = x2.fma(y2, c8); }
            { FloatVector x3 = FloatVector.broadcast(s, src[b3 + qe]); c10 = x3.fma(y1, c10); c11 = x3.fma(y2, c11); }
            { FloatVector x4 = FloatVector.broadcast(s, src[b4 + qe]); c13 = x4.fma(y1, c13); c14 = x4.fma(y2, c14); }
            { FloatVector x5 = FloatVector.broadcast(s, src[b5 + qe]); c16 = x5.fma(y1, c16); c17 = x5.fma(y2, c17); }
            { FloatVector x6 = FloatVector.broadcast(s, src[b6 + qe]); c19 = x6.fma(y1, c19); c20 = x6.fma(y2, c20); }
            { FloatVector x7 = FloatVector.broadcast(s, src[b7 + qe]); c22 = x7.fma(y1, c22); c23 = x7.fma(y2, c23); }
            y2 = y1;
            c2 = FloatVector.broadcast(s, src[b0 + qe + 1]).fma(y2, c2);
            c5 = FloatVector.broadcast(s, src[b1 + qe + 1]).fma(y2, c5);
            c8 = FloatVector.broadcast(s, src[b2 + qe + 1]).fma(y2, c8);
            c11 = FloatVector.broadcast(s, src[b3 + qe + 1]).fma(y2, c11);
            c14 = FloatVector.broadcast(s, src[b4 + qe + 1]).fma(y2, c14);
            c17 = FloatVector.broadcast(s, src[b5 + qe + 1]).fma(y2, c17);
            c20 = FloatVector.broadcast(s, src[b6 + qe + 1]).fma(y2, c20);
            c23 = FloatVector.broadcast(s, src[b7 + qe + 1]).fma(y2, c23);
        }
        c0.intoArray(ct, r + 0 * mp); c1.intoArray(ct, r + 1 * mp); c2.intoArray(ct, r + 2 * mp);
        c3.intoArray(ct, r + 3 * mp); c4.intoArray(ct, r + 4 * mp); c5.intoArray(ct, r + 5 * mp);
        c6.intoArray(ct, r + 6 * mp); c7.intoArray(ct, r + 7 * mp); c8.intoArray(ct, r + 8 * mp);
        c9.intoArray(ct, r + 9 * mp); c10.intoArray(ct, r + 10 * mp); c11.intoArray(ct, r + 11 * mp);
        c12.intoArray(ct, r + 12 * mp); c13.intoArray(ct, r + 13 * mp); c14.intoArray(ct, r + 14 * mp);
        c15.intoArray(ct, r + 15 * mp); c16.intoArray(ct, r + 16 * mp); c17.intoArray(ct, r + 17 * mp);
        c18.intoArray(ct, r + 18 * mp); c19.intoArray(ct, r + 19 * mp); c20.intoArray(ct, r + 20 * mp);
        c21.intoArray(ct, r + 21 * mp); c22.intoArray(ct, r + 22 * mp); c23.intoArray(ct, r + 23 * mp);
    }

    /** One tap's chain for the lane block i0: ct[co ..] += sum over the block's columns, in order. */
    private void chainTile1(int[] pieceStart, int[] pieceLen, int pieces, float[] at, int i0, int mp,
                            float[] src, int b, float[] ct, int co) {
        VectorSpecies<Float> s = species();
        FloatVector acc = FloatVector.fromArray(s, ct, co);
        for (int pc = 0, ao = i0; pc < pieces; pc++) {
            for (int q = pieceStart[pc], qe = q + pieceLen[pc]; q < qe; q++, ao += mp) {
                acc = FloatVector.broadcast(s, src[b + q]).fma(FloatVector.fromArray(s, at, ao), acc);
            }
        }
        acc.intoArray(ct, co);
    }
}
