package org.segloss.tensor.simd;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.segloss.tensor.kernel.GemmTest;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.ScalarKernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link VectorGemm} at every width this CPU runs (128 up to the preferred size), through the
 * checks of {@link GemmTest} (against the scalar twin, k = 0, parallel determinism, batches).
 * The width is forced by calling the package-private entry point with that width's
 * {@code VectorKernels} (whose tile it runs), wrapped as a {@link Kernels} whose other methods are
 * the scalar ones, so only the product is vector code here.
 */
class VectorGemmTest {

    static List<Integer> widths() {
        List<Integer> w = new ArrayList<>();
        for (int bits = 128; bits <= FloatVector.SPECIES_PREFERRED.vectorBitSize(); bits *= 2) w.add(bits);
        return w;
    }

    static Stream<Kernels> kernels() {
        return widths().stream().map(VectorGemmTest::gemmKernels);
    }

    static VectorKernels vector(int bits) {
        return (VectorKernels) VectorKernels.create(bits);
    }

    /** Kernels whose gemm is {@code VectorGemm.gemm(vector(bits), ...)}; everything else is scalar. */
    static Kernels gemmKernels(int bits) {
        VectorKernels tiles = vector(bits);
        return (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, method, x) -> switch (method.getName()) {
                    case "gemm" -> {
                        VectorGemm.gemm(tiles, (boolean) x[0], (boolean) x[1], (int) x[2], (int) x[3],
                                (int) x[4], (float[]) x[5], (int) x[6], (int) x[7], (float[]) x[8],
                                (int) x[9], (int) x[10], (float) x[11], (float[]) x[12], (int) x[13],
                                (int) x[14]);
                        yield null;
                    }
                    case "name" -> "vector-gemm-" + bits;
                    case "lanes" -> bits / 32;
                    case "toString" -> "vector-gemm-" + bits;
                    default -> {
                        try {
                            yield method.invoke(ScalarKernels.INSTANCE, x);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                });
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void matchesScalarAtOddSizes(Kernels k) {
        GemmTest.checkOddSizes(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void kZeroGivesBetaC(Kernels k) {
        GemmTest.checkKZero(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void parallelIsBitIdenticalForAnyThreadCount(Kernels k) {
        GemmTest.checkParallelDeterminism(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void batchedMatchesPerProductCalls(Kernels k) {
        GemmTest.checkBatched(k);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void piecesAtAnyBoundaryAreBitIdentical(Kernels k) {
        GemmTest.checkPieces(k);
    }

    /**
     * The small path and the packed path compute the same FMA chain per element, so the
     * threshold between them (which a parallel split can cross) never changes a bit.
     */
    @ParameterizedTest
    @MethodSource("widths")
    void smallAndBlockedPathsAreBitIdentical(int bits) {
        SplittableRandom rnd = new SplittableRandom(5);
        int[][] shapes = {{1, 1, 1}, {3, 17, 5}, {16, 16, 16}, {7, 65, 200}, {33, 2, 9}, {5, 3, 0}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (int t = 0; t < 4; t++) {
                for (float beta : new float[] {0f, 1f}) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                    float[] a = random(rnd, 1 + (ta ? k : m) * lda);
                    float[] b = random(rnd, 2 + (tb ? n : k) * ldb);
                    float[] c = random(rnd, 3 + m * ldc);
                    float[] c1 = c.clone(), c2 = c.clone();
                    VectorGemm.small(ta, tb, m, n, k, a, 1, lda, b, 2, ldb, beta, c1, 3, ldc);
                    VectorGemm.blocked(vector(bits), ta, tb, m, n, k, a, 1, lda, b, 2, ldb, beta, c2, 3, ldc);
                    for (int i = 0; i < c.length; i++) {
                        if (Float.floatToRawIntBits(c1[i]) != Float.floatToRawIntBits(c2[i])) {
                            fail("bits=" + bits + " " + m + "x" + n + "x" + k + " tA=" + ta + " tB=" + tb
                                    + " beta=" + beta + ": small " + c1[i] + " vs blocked " + c2[i] + " at " + i);
                        }
                    }
                }
            }
        }
    }

    /** The register tile is 4 vectors wide at every width. */
    @Test
    void tileWidthFollowsTheSpecies() {
        assertEquals(16, VectorGemm.nr(vector(128)));
        assertEquals(32, VectorGemm.nr(vector(256)));
        assertEquals(64, VectorGemm.nr(vector(512)));
    }

    private static float[] random(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }
}
