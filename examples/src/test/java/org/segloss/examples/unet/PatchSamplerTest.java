package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

class PatchSamplerTest {

    private static final List<LabeledVolume> PHANTOMS = List.of(Phantoms.generate(1, 32), Phantoms.generate(2, 32));

    /** A 2-channel volume whose values encode their position, with labels 0-3, of sizes 9 x 7 x 8. */
    private static LabeledVolume coded() {
        int d = 9, h = 7, w = 8, v = d * h * w;
        float[] img = new float[2 * v];
        int[] lab = new int[v];
        for (int i = 0; i < v; i++) {
            img[i] = i;
            img[v + i] = -i - 0.5f;
            lab[i] = (i * 7) % 4;
        }
        return new LabeledVolume(Tensor.wrap(img, 2, d, h, w), LabelTensor.of(lab, d, h, w));
    }

    @Test
    void patchesMatchTheVolumeWithTheirFlips() {
        LabeledVolume vol = coded();
        PatchSampler s = new PatchSampler(List.of(vol), 4, 4, 0.5, 11);
        int flips = 0;
        for (int round = 0; round < 20; round++) {
            PatchSampler.Batch b = s.next(3);
            assertEquals(Shape.of(3, 2, 4, 4, 4), b.images().shape());
            assertEquals(Shape.of(3, 4, 4, 4), b.labels().shape());
            for (int n = 0; n < 3; n++) {
                PatchSampler.Patch p = b.patches().get(n);
                if (p.flipZ()) flips++;
                for (int k = 0; k < 4; k++) {
                    for (int j = 0; j < 4; j++) {
                        for (int i = 0; i < 4; i++) {
                            int z = p.z() + (p.flipZ() ? 3 - k : k), y = p.y() + (p.flipY() ? 3 - j : j), x = p.x() + (p.flipX() ? 3 - i : i);
                            assertEquals(vol.labels().get(z, y, x), b.labels().get(n, k, j, i));
                            for (int c = 0; c < 2; c++) assertEquals(vol.image().get(c, z, y, x), b.images().get(n, c, k, j, i));
                        }
                    }
                }
            }
        }
        assertTrue(flips > 10 && flips < 50, "z flips in 60 patches: " + flips);
    }

    @Test
    void sameSeedGivesTheSameBatches() {
        PatchSampler a = new PatchSampler(PHANTOMS, 16, 4, 5), b = new PatchSampler(PHANTOMS, 16, 4, 5);
        for (int i = 0; i < 3; i++) {
            PatchSampler.Batch x = a.next(2), y = b.next(2);
            assertEquals(x.patches(), y.patches());
            assertArrayEquals(x.images().toArray(), y.images().toArray());
            assertArrayEquals(x.labels().toArray(), y.labels().toArray());
        }
    }

    /**
     * The share of forced patches, per class, over 6000 draws: share/3 per class (binomial sd
     * about 0.004) within ±0.02, and every forced patch contains its class. Flips: each axis in
     * about half of the patches.
     */
    @Test
    void foregroundOversamplingShare() {
        PatchSampler s = new PatchSampler(PHANTOMS, 16, 4, 1.0 / 3, 9);
        int draws = 6000;
        int[] forced = new int[4];
        int[] flips = new int[3];
        int[] p3 = new int[16 * 16 * 16];
        float[] img = new float[p3.length];
        for (int t = 0; t < draws; t++) {
            PatchSampler.Patch p = s.nextPatch();
            forced[p.forcedClass()]++;
            flips[0] += p.flipZ() ? 1 : 0;
            flips[1] += p.flipY() ? 1 : 0;
            flips[2] += p.flipX() ? 1 : 0;
            if (p.forcedClass() > 0 && t % 10 == 0) {
                s.extract(p, img, 0, p3, 0);
                boolean found = false;
                for (int l : p3) found |= l == p.forcedClass();
                assertTrue(found, "patch forced on class " + p.forcedClass() + " lacks it: " + p);
            }
        }
        for (int c = 1; c < 4; c++) {
            double share = (double) forced[c] / draws;
            assertEquals(1.0 / 9, share, 0.02, "class " + c);
        }
        assertEquals(2.0 / 3, (double) forced[0] / draws, 0.03);
        for (int a = 0; a < 3; a++) assertEquals(0.5, (double) flips[a] / draws, 0.03, "flips on axis " + a);
    }

    /** Oversampling is what puts lesions into the patches: compare with share 0. */
    @Test
    void oversamplingRaisesTheLesionContent() {
        double[] withLesion = new double[2];
        double[] shares = {0, 1.0 / 3};
        for (int k = 0; k < 2; k++) {
            PatchSampler s = new PatchSampler(PHANTOMS, 8, 4, shares[k], 3);
            int hits = 0, n = 400;
            for (int t = 0; t < n; t++) {
                PatchSampler.Batch b = s.next(1);
                if (b.labels().count(Phantoms.LESION) > 0) hits++;
                if (shares[k] == 0) assertEquals(0, b.patches().get(0).forcedClass());
            }
            withLesion[k] = (double) hits / n;
        }
        assertTrue(withLesion[1] > withLesion[0] + 0.08, "patches with lesion voxels: share 0 " + withLesion[0] + ", share 1/3 " + withLesion[1]);
        PatchSampler all = new PatchSampler(PHANTOMS, 16, 4, 1.0, 4);
        for (int t = 0; t < 50; t++) assertTrue(all.nextPatch().forcedClass() > 0);
    }

    @Test
    void volumesWithoutForegroundFallBackToRandomPatches() {
        LabeledVolume empty = new LabeledVolume(Tensor.zeros(1, 8, 8, 8), LabelTensor.zeros(8, 8, 8));
        PatchSampler s = new PatchSampler(List.of(empty), 8, 2, 1.0, 1);
        PatchSampler.Patch p = s.nextPatch();
        assertEquals(0, p.forcedClass());
        assertEquals(0, p.z() + p.y() + p.x());
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> new PatchSampler(List.of(), 8, 4, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PatchSampler(PHANTOMS, 33, 4, 1));
        assertTrue(e.getMessage().contains("patchSize 33"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PatchSampler(PHANTOMS, 0, 4, 1));
        e = assertThrows(IllegalArgumentException.class, () -> new PatchSampler(PHANTOMS, 8, 3, 1));
        assertTrue(e.getMessage().contains("label 3 outside [0, 3)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PatchSampler(PHANTOMS, 8, 4, 1.5, 1));
        assertThrows(IllegalArgumentException.class, () -> new PatchSampler(PHANTOMS, 8, 4, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new PatchSampler(PHANTOMS, 8, 4, 1).next(0));
        assertThrows(IllegalArgumentException.class, () -> new PatchSampler(
                List.of(PHANTOMS.get(0), coded()), 4, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> new LabeledVolume(Tensor.zeros(1, 4, 4, 4), LabelTensor.zeros(4, 4, 5)));
    }

    @Test
    void reseedRestartsTheStreamOfANewSamplerWithThatSeed() {
        PatchSampler used = new PatchSampler(PHANTOMS, 8, Phantoms.CLASSES, 5);
        for (int i = 0; i < 7; i++) used.nextPatch();
        used.reseed(42);
        PatchSampler fresh = new PatchSampler(PHANTOMS, 8, Phantoms.CLASSES, 42);
        for (int i = 0; i < 50; i++) assertEquals(fresh.nextPatch(), used.nextPatch(), "patch " + i);
    }
}
