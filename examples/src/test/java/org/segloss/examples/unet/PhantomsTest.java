package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.segloss.metrics.ConnectedComponents;
import org.segloss.tensor.Shape;

class PhantomsTest {
    static long hash(int[] a) {
        long x = 1125899906842597L;
        for (int v : a) x = 31 * x + v;
        return x;
    }

    static long hash(float[] a) {
        long x = 1125899906842597L;
        for (float v : a) x = 31 * x + Float.floatToRawIntBits(v);
        return x;
    }

    /**
     * The default phantoms stay bit-identical since the presets were added: hashes of labels and
     * image bits, computed once with the code before the presets existed.
     */
    @Test
    void defaultPresetUnchanged() {
        long[][] known = {
            {3, 16, 4943505596633989166L, -1310924794479324369L},
            {3, 64, -2372268486772766613L, -3026001177235602507L},
            {2026, 16, 6826921994928851255L, 910669556967475075L},
            {2026, 64, -2857838197588114772L, -3359848611735467956L},
        };
        for (long[] k : known) {
            LabeledVolume v = Phantoms.generate(k[0], (int) k[1]);
            assertEquals(k[2], hash(v.labels().toArray()), "labels, seed " + k[0] + ", size " + k[1]);
            assertEquals(k[3], hash(v.image().toArray()), "image, seed " + k[0] + ", size " + k[1]);
            LabeledVolume same = Phantoms.generate(k[0], (int) k[1], Phantoms.Preset.DEFAULT);
            assertArrayEquals(v.image().toArray(), same.image().toArray());
        }
    }

    /**
     * phantom-hard: lesions about 1 : 8,000 of the volume (1.0e-4 to 1.5e-4 at N = 64 and 96;
     * measured 1.14e-4 to 1.41e-4 at N = 64 and 1.18e-4 to 1.32e-4 at N = 96 over seeds 0-7), k = 3
     * (N = 64) and 10 (N = 96) separate lesions (26-connected), of varied size (largest at least 1.5
     * times the smallest), in a cluster at N = 64 (centroids at most 0.3 N apart; measured 10-15
     * voxels), and a lesion-organ contrast, relative to the organ-background step, below the
     * default preset's.
     */
    @Test
    void hardPresetStatistics() {
        for (int n : new int[] {64, 96}) {
            int k = n == 64 ? 3 : 10;
            double relHard = 0, relNormal = 0;
            for (long seed = 0; seed < 6; seed++) {
                LabeledVolume hard = Phantoms.generate(seed, n, Phantoms.Preset.HARD);
                int[] lab = hard.labels().toArray();
                boolean[] lesion = new boolean[lab.length];
                long count = 0;
                for (int i = 0; i < lab.length; i++) if (lesion[i] = lab[i] == Phantoms.LESION) count++;
                double ratio = count / (double) lab.length;
                String what = "N " + n + ", seed " + seed;
                assertTrue(ratio > 1.0e-4 && ratio < 1.5e-4, what + ": lesion ratio " + ratio);
                ConnectedComponents cc = ConnectedComponents.label(lesion, new int[] {n, n, n}, 26);
                assertEquals(k, cc.count(), what + ": lesions");
                long min = Long.MAX_VALUE, max = 0;
                for (int id = 1; id <= cc.count(); id++) {
                    min = Math.min(min, cc.size(id));
                    max = Math.max(max, cc.size(id));
                }
                assertTrue(max >= 1.5 * min, what + ": sizes " + min + ".." + max);
                LabeledVolume normal = Phantoms.generate(seed, n);
                // the lesion-organ contrast in units of the organ-background step (scale-free, so the
                // normalisation does not hide it): 0.4 / 0.4 here, 0.5 / 0.4 in the default preset; summed
                // over the seeds, since the bias field at the few lesion voxels moves one volume's value
                relHard += contrast(hard) / organStep(hard);
                relNormal += contrast(normal) / organStep(normal);
                // the lesions lie in one cluster: all centres within a cube of side 0.2 N (+ their radii) at N = 64
                if (n == 64) assertTrue(spread(cc, n) < 0.3 * n, what + ": lesion centres " + spread(cc, n) + " apart");
                // organ and structure as in the default preset
                long[] a = hard.classCounts(Phantoms.CLASSES), b = normal.classCounts(Phantoms.CLASSES);
                assertEquals(b[Phantoms.STRUCTURE], a[Phantoms.STRUCTURE], what);
                assertEquals(b[Phantoms.ORGAN] + b[Phantoms.LESION], a[Phantoms.ORGAN] + a[Phantoms.LESION], what);
            }
            assertTrue(relHard < 0.9 * relNormal, "N " + n + ": relative contrast " + relHard / 6 + " vs " + relNormal / 6);
        }
        assertEquals("phantom-hard", Phantoms.Preset.HARD.dataName());
        assertEquals("phantom-hard", SegmentationDataset.phantoms(1, 32, 1, 1, Phantoms.Preset.HARD).name());
    }

    /** Mean normalised intensity of the organ minus that of the background. */
    static double organStep(LabeledVolume v) {
        int[] lab = v.labels().toArray();
        float[] img = v.image().toArray();
        double organ = 0, background = 0;
        long no = 0, nb = 0;
        for (int i = 0; i < lab.length; i++) {
            if (lab[i] == Phantoms.ORGAN) { organ += img[i]; no++; }
            if (lab[i] == Phantoms.BACKGROUND) { background += img[i]; nb++; }
        }
        return organ / no - background / nb;
    }

    /** The largest distance (voxels) between the centroids of two components. */
    static double spread(ConnectedComponents cc, int n) {
        int[] ids = cc.componentOf();
        double[][] sum = new double[cc.count() + 1][4];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == 0) continue;
            double[] s = sum[ids[i]];
            s[0] += i / (n * n);
            s[1] += (i / n) % n;
            s[2] += i % n;
            s[3]++;
        }
        double max = 0;
        for (int p = 1; p <= cc.count(); p++) {
            for (int q = p + 1; q <= cc.count(); q++) {
                double d2 = 0;
                for (int k = 0; k < 3; k++) d2 += Math.pow(sum[p][k] / sum[p][3] - sum[q][k] / sum[q][3], 2);
                max = Math.max(max, Math.sqrt(d2));
            }
        }
        return max;
    }

    /** Mean normalised intensity of the lesions minus that of the organ. */
    static double contrast(LabeledVolume v) {
        int[] lab = v.labels().toArray();
        float[] img = v.image().toArray();
        double lesion = 0, organ = 0;
        long nl = 0, no = 0;
        for (int i = 0; i < lab.length; i++) {
            if (lab[i] == Phantoms.LESION) { lesion += img[i]; nl++; }
            if (lab[i] == Phantoms.ORGAN) { organ += img[i]; no++; }
        }
        return lesion / nl - organ / no;
    }

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
