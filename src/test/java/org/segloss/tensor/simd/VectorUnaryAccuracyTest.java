package org.segloss.tensor.simd;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Unary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector log1p and tanh ({@code VectorKernels.log1p}, {@code tanh}, through {@code map}) against
 * the scalar kernels' {@code (float) Math.log1p(x)} and {@code (float) Math.tanh(x)}. At the
 * CPU's preferred width, EVERY float x of the dense range of the op:
 * <ul>
 *   <li>log1p: 2^-25 &lt;= |x| &lt;= 2^10 and x &gt; -1 (both signs, 500 million inputs: below
 *       2^-25 the result is x itself, above 2^10 ln u needs no correction; the log-sigmoid's
 *       exp(-|x|) in (0, 1] lies inside);</li>
 *   <li>tanh: 2^-25 &lt;= |x| &lt;= 9.1 (both signs, 470 million: below, tanh x rounds to x;
 *       above, to ±1);</li>
 * </ul>
 * then every 67th bit pattern of all 2^32 and the specials of
 * {@link VectorExpAccuracyTest.Probe#specials}; at the other widths the sample and the specials.
 * The bounds asserted are the ones spec/numerics.md states (log1p 1 ulp, tanh 2 ulp), counted in
 * floats between the two results across signs; NaN exactly where the scalar op gives NaN; ±0 with
 * its sign. Each op and width runs in its own JVM ({@link ForkedJvm}).
 */
class VectorUnaryAccuracyTest {

    /** The op, its scalar reference, its bound and its dense ranges of raw bits [from, to]. */
    enum Op {
        LOG1P(Unary.LOG1P, 1, new long[][] {{0x33000000L, 0x44800000L}, {0xB3000000L, 0xBF7FFFFFL}}),
        TANH(Unary.TANH, 2, new long[][] {{0x33000000L, 0x4111999AL}, {0xB3000000L, 0xC111999AL}});

        final Unary unary;
        final int maxUlps;
        final long[][] dense;

        Op(Unary unary, int maxUlps, long[][] dense) {
            this.unary = unary;
            this.maxUlps = maxUlps;
            this.dense = dense;
        }

        float reference(float x) {
            return this == LOG1P ? (float) Math.log1p(x) : (float) Math.tanh(x);
        }

        long denseCount() {
            long n = 0;
            for (long[] r : dense) n += r[1] - r[0] + 1;
            return n;
        }
    }

    /** Checks op args[2] over the ranges named by args[1] ("dense" or "sample") at width args[0]; prints one STATS line. */
    public static final class Probe {
        public static void main(String[] args) {
            Kernels k = VectorKernels.create(Integer.parseInt(args[0]));
            boolean dense = args[1].equals("dense");
            Op op = Op.valueOf(args[2]);
            UlpStats s = check(k, op, VectorExpAccuracyTest.Probe.specials());
            if (dense) for (long[] r : op.dense) s = s.merged(UlpStats.over(r[0], r[1], 1, x -> check(k, op, x)));
            s = s.merged(UlpStats.over(0, 0xFFFFFFFFL, 67, x -> check(k, op, x)));
            System.out.println(s.line());
        }
    }

    static UlpStats check(Kernels k, Op op, float[] x) {
        float[] got = new float[x.length];
        k.map(op.unary, x, 0, got, 0, x.length);
        UlpStats s = new UlpStats();
        for (int i = 0; i < x.length; i++) s.add(x[i], got[i], op.reference(x[i]));
        return s;
    }

    @Test
    void withinTheStatedUlpsOfTheScalarOpsAtEveryWidth() throws Exception {
        List<Integer> widths = ForkedJvm.widths();
        for (Op op : Op.values()) {
            for (int bits : widths) {
                boolean dense = bits == widths.getLast();
                ForkedJvm.Run run = ForkedJvm.run(List.of("-Xmx1g"), Probe.class, String.valueOf(bits), dense ? "dense" : "sample", op.name());
                assertEquals(0, run.exit(), run.err());
                String[] f = run.line("STATS").split(" ");
                long inputs = Long.parseLong(f[0]), maxUlps = Long.parseLong(f[1]), off = Long.parseLong(f[3]), bad = Long.parseLong(f[4]);
                float worst = Float.intBitsToFloat(Integer.parseInt(f[2]));
                System.out.printf("VectorUnaryAccuracyTest %s vector-%d %s: %,d inputs, max %d ulp (first at x = %s), %,d off%n",
                        op, bits, dense ? "dense" : "sample", inputs, maxUlps, worst, off);
                long sample = (0xFFFFFFFFL / 67 + 1) + VectorExpAccuracyTest.Probe.specials().length;
                assertEquals(dense ? sample + op.denseCount() : sample, inputs, op + ": inputs checked");
                assertEquals(0, bad, op + ": NaN exactly where the scalar op gives NaN, and zeros with their sign");
                assertTrue(maxUlps <= op.maxUlps, op + " vector-" + bits + ": max error " + maxUlps + " ulp at x = " + worst
                        + " exceeds the stated bound of " + op.maxUlps + " ulp");
                assertTrue(off > 0, op + ": no input 1 ulp off at all: the comparison cannot be running");
            }
        }
    }
}
