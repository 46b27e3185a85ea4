package org.segloss.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.segloss.distance.EuclideanDistance;
import org.segloss.distance.SignedDistanceMaps;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * 3-D exact Euclidean distance transforms of an n³ blob mask (n = 64, 128), the workload of
 * bench/edt_scipy.py, which times {@code scipy.ndimage.distance_transform_edt} on the same mask
 * ({@link #blob} and {@code blob()} there are the same integer formula; bench/edt-vs-scipy
 * prints both and the ratio).
 *
 * <ul>
 *   <li>{@code edt}: {@link EuclideanDistance#edt} — SciPy's semantics (non-zero voxels get the
 *       distance to the nearest zero voxel), float mask in, float32 distances out.</li>
 *   <li>{@code liviaetsMaps}: {@link SignedDistanceMaps#fromLabels} of the blob as a 2-class
 *       label map [1, n, n, n] in the LIVIAETS convention, spacing (2.5, 0.8, 0.8): what the
 *       boundary loss precomputes per sample (two EDTs per class, four in all).</li>
 * </ul>
 *
 * <p>{@code impl} has the single value {@code scalar}: the envelope pass is a sequential,
 * branchy scan per line with no Vector API kernel; the param is kept because bench/Table.java
 * groups rows by it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class DistanceBench {
    @Param({"64", "128"})
    public int n;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar"})
    public String impl;

    private Tensor mask;
    private LabelTensor labels;
    private static final double[] SPACING = {2.5, 0.8, 0.8};

    /**
     * The blob mask [s, s, s] (row-major z, y, x), 1 = object: three balls plus a sparse lattice
     * of isolated voxels ((7x + 13y + 29z) mod 101 == 0, about 1 %) so that distances are short
     * near the lattice and long inside the balls. Integer arithmetic only, so that Python gets
     * the identical mask.
     */
    static byte[] blob(int s) {
        int[][] balls = {
            {s * 35 / 100, s * 40 / 100, s * 45 / 100, s * 28 / 100},
            {s * 65 / 100, s * 60 / 100, s * 50 / 100, s * 22 / 100},
            {s * 50 / 100, s * 25 / 100, s * 70 / 100, s * 15 / 100}};
        byte[] m = new byte[s * s * s];
        for (int z = 0; z < s; z++) {
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    boolean in = (7 * x + 13 * y + 29 * z) % 101 == 0;
                    for (int[] b : balls) {
                        int dz = z - b[0], dy = y - b[1], dx = x - b[2];
                        in |= dz * dz + dy * dy + dx * dx <= b[3] * b[3];
                    }
                    m[(z * s + y) * s + x] = (byte) (in ? 1 : 0);
                }
            }
        }
        return m;
    }

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        byte[] b = blob(n);
        float[] f = new float[b.length];
        int[] l = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            f[i] = b[i];
            l[i] = b[i];
        }
        mask = Tensor.wrap(f, n, n, n);
        labels = LabelTensor.of(l, 1, n, n, n);
        verify(b);
    }

    /**
     * Checks {@code edt} at 300 seeded voxels against a scan over every zero voxel, in double
     * (a full brute force is O(N²): hours at 128³).
     */
    private void verify(byte[] b) {
        Tensor d = EuclideanDistance.edt(mask, null);
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        int[] zeros = new int[b.length];
        int nz = 0;
        for (int i = 0; i < b.length; i++) if (b[i] == 0) zeros[nz++] = i;
        float[] got = new float[300];
        double[] want = new double[300];
        for (int k = 0; k < 300; k++) {
            int q = r.nextInt(b.length);
            int qz = q / (n * n), qy = q / n % n, qx = q % n;
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < nz; j++) {
                int p = zeros[j];
                double dz = qz - p / (n * n), dy = qy - p / n % n, dx = qx - p % n;
                best = Math.min(best, dz * dz + dy * dy + dx * dx);
            }
            got[k] = d.at(q);
            want[k] = Math.sqrt(best);
        }
        BenchSupport.check("EuclideanDistance.edt " + n + "³", got, want, 0, 1e-6);
    }

    @Benchmark
    public Tensor edt() {
        return EuclideanDistance.edt(mask, null);
    }

    @Benchmark
    public Tensor liviaetsMaps() {
        return SignedDistanceMaps.fromLabels(labels, 2, SPACING, SignedDistanceMaps.Convention.LIVIAETS);
    }
}
