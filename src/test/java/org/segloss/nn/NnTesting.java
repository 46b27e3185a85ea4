package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.segloss.autograd.GradCheck;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/** Helpers shared by the nn tests. */
final class NnTesting {
    private NnTesting() {}

    /** GradCheck with the float32 defaults; fails with the report. */
    static void assertGrad(String what, GradCheck.VarFunction f, Tensor... inputs) {
        GradCheck.Report r = GradCheck.check(f, inputs);
        assertTrue(r.passed(), () -> what + ": " + r);
    }

    static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertTrue(expected.length == actual.length, what + ": length " + expected.length + " vs " + actual.length);
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            int at = i;
            assertTrue(Math.abs(e - a) <= tol * Math.max(1f, Math.abs(e)),
                    () -> what + ": element " + at + " expected " + e + ", got " + a);
        }
    }

    /** An odd size in {3, 5}. */
    static int odd(java.util.SplittableRandom r) {
        return 3 + 2 * r.nextInt(2);
    }
}
