package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.Shape;

class PhantomsTest {

    /** The ratios stated on {@link Phantoms}: organ : structure : lesions ≈ 1000 : 100 : 1. */
    @Test
    void classRatios() {
        for (int size : new int[] {64, 48, 32}) {
            for (long seed = 0; seed < 10; seed++) {
                LabeledVolume v = Phantoms.generate(seed, size);
                long[] c = v.classCounts(Phantoms.CLASSES);
                double structure = (double) c[Phantoms.STRUCTURE] / c[Phantoms.ORGAN];
                double lesions = (double) c[Phantoms.LESION] / c[Phantoms.ORGAN];
                double organ = (double) c[Phantoms.ORGAN] / v.labels().size();
                String what = "size " + size + " seed " + seed + " counts " + Arrays.toString(c);
                assertTrue(structure >= 0.09 && structure <= 0.11, what + ": structure/organ " + structure);
                assertTrue(lesions >= 0.0006 && lesions <= 0.0016, what + ": lesions/organ " + lesions);
                assertTrue(organ >= 0.25 && organ <= 0.31, what + ": organ fraction " + organ);
            }
        }
    }

    @Test
    void shapesAndLabelRange() {
        LabeledVolume v = Phantoms.generate(1, 40);
        assertEquals(Shape.of(1, 40, 40, 40), v.image().shape());
        assertEquals(Shape.of(40, 40, 40), v.labels().shape());
        int[] r = v.labels().range();
        assertEquals(0, r[0]);
        assertEquals(Phantoms.LESION, r[1]);
    }

    @Test
    void sameSeedGivesTheSameVolume() {
        LabeledVolume a = Phantoms.generate(7, 32), b = Phantoms.generate(7, 32), c = Phantoms.generate(8, 32);
        assertArrayEquals(a.image().toArray(), b.image().toArray());
        assertArrayEquals(a.labels().toArray(), b.labels().toArray());
        assertFalse(Arrays.equals(a.labels().toArray(), c.labels().toArray()));
        assertFalse(Arrays.equals(a.image().toArray(), c.image().toArray()));
    }

    /** Normalised; class means ordered and apart, but the classes overlap; the bias field is visible. */
    @Test
    void intensitiesOverlapButDifferInMean() {
        LabeledVolume v = Phantoms.generate(3, 64);
        float[] x = v.image().toArray();
        int[] l = v.labels().toArray();
        double[] s = new double[4], s2 = new double[4];
        long[] n = new long[4];
        double all = 0, all2 = 0;
        for (int i = 0; i < x.length; i++) {
            s[l[i]] += x[i];
            s2[l[i]] += (double) x[i] * x[i];
            n[l[i]]++;
            all += x[i];
            all2 += (double) x[i] * x[i];
        }
        double mean = all / x.length;
        assertEquals(0, mean, 1e-3);
        assertEquals(1, Math.sqrt(all2 / x.length - mean * mean), 1e-3);
        double[] m = new double[4], sd = new double[4];
        for (int c = 0; c < 4; c++) {
            m[c] = s[c] / n[c];
            sd[c] = Math.sqrt(s2[c] / n[c] - m[c] * m[c]);
        }
        for (int c = 1; c < 4; c++) {
            double separation = (m[c] - m[c - 1]) / Math.max(sd[c], sd[c - 1]);
            // apart (learnable) but overlapping: organ vs structure about 1.6 sd
            assertTrue(separation > 1 && separation < 4.5, "classes " + (c - 1) + "/" + c + ": means " + Arrays.toString(m) + ", sd " + Arrays.toString(sd));
        }
        // overlap: some organ voxels are brighter than the structure's mean
        long brighter = 0;
        for (int i = 0; i < x.length; i++) if (l[i] == Phantoms.ORGAN && x[i] > m[Phantoms.STRUCTURE]) brighter++;
        assertTrue(brighter > n[Phantoms.ORGAN] / 200, "organ voxels above the structure mean: " + brighter);
        // bias field: the organ's mean differs between slabs by more than the noise explains
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (int slab = 0; slab < 4; slab++) {
            double sum = 0;
            long cnt = 0;
            for (int i = 0; i < x.length; i++) {
                int z = i / (64 * 64);
                if (z / 16 == slab && l[i] == Phantoms.ORGAN) {
                    sum += x[i];
                    cnt++;
                }
            }
            if (cnt > 1000) {
                lo = Math.min(lo, sum / cnt);
                hi = Math.max(hi, sum / cnt);
            }
        }
        assertTrue(hi - lo > 0.05, "organ slab means vary by " + (hi - lo));
    }

    @Test
    void badSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Phantoms.generate(1, 8));
        assertTrue(e.getMessage().contains("Phantoms.generate: size") && e.getMessage().contains("got 8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Phantoms.generate(1, 100_000));
    }
}
