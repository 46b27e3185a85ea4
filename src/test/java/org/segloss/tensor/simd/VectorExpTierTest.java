package org.segloss.tensor.simd;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Unary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector exp, log1p, tanh, pow and every kernel built on exp give the same bits in every JIT
 * tier (spec/numerics.md, "Determinism"): the same inputs run through map(EXP), map(SIGMOID),
 * map(LOG1P), map(TANH), pow (at
 * p = 0.3, 1.7 and -0.5, over all kinds of floats and over exp-log's range [1e-7, 100]), softmax,
 * log-softmax, log-sum-exp (rows and column blocks) and log-softmax backward at the CPU's preferred
 * width in a fresh JVM three ways: interpreted only ({@code -Xint}, the Vector API's Java
 * fallback), C1 only ({@code -XX:TieredStopAtLevel=1}), and by default, where the first call runs
 * cold and a second after a warm-up runs in C2 code (checked: the JIT log must show a tier-4
 * compile of a VectorKernels method). All four SHA-256 digests of the outputs' bits must agree.
 */
class VectorExpTierTest {

    /**
     * Prints "DIGEST hex" (cold), and with args[1] = "warm" also "WARM hex" after a warm-up, to
     * stderr: stdout carries the JIT log.
     */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            Kernels k = VectorKernels.create(Integer.parseInt(args[0]));
            float[] wide = inputsOverAllFloats(), logits = logits();
            System.err.println("DIGEST " + digest(k, wide, logits));
            if (args.length > 1 && args[1].equals("warm")) {
                String last = null;
                for (int i = 0; i < 3000; i++) last = digest(k, wide, logits);
                System.err.println("WARM " + last);
            }
        }

        /** Every 2^20 + 1st bit pattern (4,096 floats of every sign, size and kind) and the specials. */
        static float[] inputsOverAllFloats() {
            float[] specials = VectorExpAccuracyTest.Probe.specials();
            float[] x = new float[4096 + specials.length];
            for (int i = 0; i < 4096; i++) x[i] = Float.intBitsToFloat(i * ((1 << 20) + 1));
            System.arraycopy(specials, 0, x, 4096, specials.length);
            return x;
        }

        /** 4 x 1,027 logits in [-60, 30] (a fixed sequence), as a [4, 1027] class-major block. */
        static float[] logits() {
            float[] x = new float[4 * 1027];
            long s = 0x9E3779B97F4A7C15L;
            for (int i = 0; i < x.length; i++) {
                s = s * 6364136223846793005L + 1442695040888963407L;
                x[i] = -60f + 90f * ((s >>> 40) / (float) (1 << 24));
            }
            return x;
        }

        static String digest(Kernels k, float[] wide, float[] logits) throws Exception {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            int n = logits.length, inner = n / 4;
            float[] out = new float[wide.length];
            k.map(Unary.EXP, wide, 0, out, 0, wide.length);
            update(md, out);
            k.map(Unary.SIGMOID, wide, 0, out, 0, wide.length);
            update(md, out);
            float[] positive = new float[n];   // the exp-log term's range: -ln p clamped, in [1e-7, 100]
            for (int i = 0; i < n; i++) positive[i] = (float) Math.exp(Math.log(1e-7) + (Math.log(100) - Math.log(1e-7)) * (i / (n - 1.0)));
            k.map(Unary.LOG1P, wide, 0, out, 0, wide.length);
            update(md, out);
            k.map(Unary.TANH, wide, 0, out, 0, wide.length);
            update(md, out);
            float[] mid = new float[n], th = new float[n];   // [-10, 5]: tanh's 1 and its formula
            for (int i = 0; i < n; i++) mid[i] = logits[i] / 6f;
            k.map(Unary.TANH, mid, 0, th, 0, n);
            update(md, th);
            float[] powered = new float[n];
            for (float p : new float[] {0.3f, 1.7f, -0.5f}) {
                k.pow(wide, 0, p, out, 0, wide.length);   // every kind of float: both the polynomial and the scalar lanes
                update(md, out);
                k.pow(positive, 0, p, powered, 0, n);
                update(md, powered);
            }
            float[] y = new float[n], g = new float[n];
            for (int i = 0; i < n; i++) g[i] = logits[(i * 7) % n] / 60f;
            k.softmax(logits, 0, 4, inner, inner, y, 0);         // along C: column blocks and tail columns
            update(md, y);
            k.softmax(logits, 0, n, 1, 1, y, 0);                 // one row
            update(md, y);
            k.logSoftmax(logits, 0, n, 1, 1, y, 0);
            update(md, y);
            k.logSoftmax(logits, 0, 4, inner, inner, y, 0);
            update(md, y);
            float[] gx = new float[n];
            k.logSoftmaxBackward(y, 0, g, 0, 4, inner, inner, gx, 0);
            update(md, gx);
            float[] lse = new float[inner];
            k.logSumExp(logits, 0, 4, inner, inner, lse, 0);
            update(md, lse);
            return HexFormat.of().formatHex(md.digest());
        }

        static void update(MessageDigest md, float[] v) {
            ByteBuffer b = ByteBuffer.allocate(4 * v.length);
            for (float f : v) b.putInt(Float.floatToRawIntBits(f));
            md.update(b.array());
        }
    }

    @Test
    void sameBitsInterpretedInC1AndInC2() throws Exception {
        String bits = String.valueOf(ForkedJvm.widths().getLast());
        ForkedJvm.Run interpreted = ForkedJvm.run(List.of("-Xint"), Probe.class, bits);
        ForkedJvm.Run c1 = ForkedJvm.run(List.of("-XX:TieredStopAtLevel=1"), Probe.class, bits);
        ForkedJvm.Run c2 = ForkedJvm.run(List.of("-XX:+PrintCompilation"), Probe.class, bits, "warm");
        for (ForkedJvm.Run r : List.of(interpreted, c1, c2)) assertEquals(0, r.exit(), r.err());
        // the warm run did reach C2 (tier 4) for the vector kernels
        assertTrue(Pattern.compile("(?m)^.*\\s4\\s+org\\.segloss\\.tensor\\.simd\\.VectorKernels[^ ]*::").matcher(c2.out()).find(),
                "no tier-4 compile of a VectorKernels method in the warm run's JIT log:\n" + c2.out());
        String reference = interpreted.line("DIGEST");
        assertEquals(reference, c1.line("DIGEST"), "C1 only vs interpreted");
        assertEquals(reference, c2.line("DIGEST"), "default JVM, first call vs interpreted");
        assertEquals(reference, c2.line("WARM"), "default JVM after 3,000 warm-up calls (C2) vs interpreted");
    }
}
