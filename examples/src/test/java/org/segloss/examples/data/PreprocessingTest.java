package org.segloss.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.examples.data.CaseLoader.LoadedCase;
import org.segloss.examples.data.Preprocessing.ChannelNorm;
import org.segloss.examples.data.Preprocessing.Prepared;
import org.segloss.examples.data.Preprocessing.Scheme;
import org.segloss.examples.data.SyntheticDataset.Volume;
import org.segloss.nn.Checkpoint;
import org.segloss.nn.Conv3d;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** {@link Resampling}, {@link Preprocessing} and {@link Padding} on known values. */
class PreprocessingTest {
    @TempDir
    Path tmp;

    // ---- resampling ---------------------------------------------------------------------------

    @Test
    void linearResizeAlignsVoxelCentres() {
        // n = 4 → 2: positions (o + 0.5) * 2 - 0.5 = 0.5, 2.5
        assertArrayEquals(new float[] {0.5f, 2.5f}, Resampling.resizeAxis(new float[] {0, 1, 2, 3}, new int[] {4}, 0, 2));
        // n = 2 → 4: positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1}, Resampling.resizeAxis(new float[] {0, 1}, new int[] {2}, 0, 4));
        // the same size is the identity
        float[] v = {3, -1, 4, 1, 5};
        assertArrayEquals(v, Resampling.resizeAxis(v, new int[] {5}, 0, 5));
    }

    @Test
    void trilinearIsExactForALinearFunctionAwayFromTheEdges() {
        int n = 6;
        float[] f = new float[n * n * n];
        for (int z = 0, i = 0; z < n; z++) for (int y = 0; y < n; y++) for (int x = 0; x < n; x++, i++) f[i] = z + 2 * y + 3 * x;
        Tensor out = Resampling.resizeImage(Tensor.wrap(f, 1, n, n, n), new int[] {12, 3, 9});
        assertEquals(out.shape(), org.segloss.tensor.Shape.of(1, 12, 3, 9));
        // output (z, y, x) = (5, 1, 4) samples (5.5 * 0.5 - 0.5, 1.5 * 2 - 0.5, 4.5 * 6/9 - 0.5) = (2.25, 2.5, 2.5)
        assertEquals(2.25 + 2 * 2.5 + 3 * 2.5, out.get(0, 5, 1, 4), 1e-5);
    }

    @Test
    void labelsResampleLinearlyOnOneHotWithTiesToTheLowerClass() {
        // [0, 0, 1, 1] → 2 voxels at 0.5 and 2.5: pure 0 and pure 1
        assertArrayEquals(new int[] {0, 1}, Resampling.resizeLabels(LabelTensor.of(new int[] {0, 0, 1, 1}, 1, 1, 4), 2,
                new int[] {1, 1, 2}).toArray());
        // [0, 1, 1, 1]: position 0.5 is half 0 and half 1 → 0 (tie); 2.5 → 1
        assertArrayEquals(new int[] {0, 1}, Resampling.resizeLabels(LabelTensor.of(new int[] {0, 1, 1, 1}, 1, 1, 4), 2,
                new int[] {1, 1, 2}).toArray());
        // upsampling [0, 2] → positions -0.25, 0.25, 0.75, 1.25: weights of 2 are 0, 0.25, 0.75, 1
        assertArrayEquals(new int[] {0, 0, 2, 2}, Resampling.resizeLabels(LabelTensor.of(new int[] {0, 2}, 1, 1, 2), 3,
                new int[] {1, 1, 4}).toArray());
        assertArrayEquals(new int[] {20, 12, 7}, Resampling.shapeFor(new int[] {10, 12, 14}, new double[] {3, 1, 1},
                new double[] {1.5, 1, 2}));
    }

    // ---- normalisation ------------------------------------------------------------------------

    @Test
    void ctStatisticsAreNumpysPercentilesMeanAndSd() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) v[i] = 100 - i;   // 1 .. 100, unsorted
        ChannelNorm n = Preprocessing.ctNorm("CT", v);
        // np.percentile(np.arange(1, 101), [0.5, 99.5]) = [1.495, 99.505]; mean 50.5; np.std = sqrt((100² − 1) / 12)
        assertEquals(1.495, n.clipLow(), 1e-12);
        assertEquals(99.505, n.clipHigh(), 1e-12);
        assertEquals(50.5, n.mean(), 1e-12);
        assertEquals(Math.sqrt(9999.0 / 12), n.sd(), 1e-12);
        Preprocessing p = new Preprocessing(new double[] {1, 1, 1}, List.of(n), List.of("bg", "fg"));
        Tensor out = p.normalise(Tensor.wrap(new float[] {0, 50.5f, 1000}, 1, 1, 1, 3));
        assertEquals((1.495 - 50.5) / n.sd(), out.at(0), 1e-6);
        assertEquals(0, out.at(1), 1e-6);
        assertEquals((99.505 - 50.5) / n.sd(), out.at(2), 1e-6);
    }

    @Test
    void zScoreIsPerCaseAndPerChannel() {
        Preprocessing p = new Preprocessing(new double[] {1, 1, 1}, List.of(ChannelNorm.perCase("T1", Scheme.ZSCORE),
                ChannelNorm.perCase("x", Scheme.NONE)), List.of("bg", "fg"));
        Tensor out = p.normalise(Tensor.wrap(new float[] {1, 2, 3, 4, 1, 2, 3, 4}, 2, 1, 2, 2));
        double sd = Math.sqrt(1.25);   // of 1, 2, 3, 4 with divisor n
        assertArrayEquals(new float[] {(float) (-1.5 / sd), (float) (-0.5 / sd), (float) (0.5 / sd), (float) (1.5 / sd), 1, 2, 3, 4},
                out.toArray(), 1e-6f);
        assertEquals(Scheme.CT, Scheme.forChannelName("ct"));
        assertEquals(Scheme.NONE, Scheme.forChannelName("noNorm"));
        assertEquals(Scheme.ZSCORE, Scheme.forChannelName("T2"));
    }

    // ---- plan and apply on the synthetic data set ----------------------------------------------

    @Test
    void planTakesTheMedianSpacingAndTheForegroundOfTheTrainingSet() throws IOException {
        List<Volume> cases = SyntheticDataset.cases();
        DatasetFolder f = DatasetFolder.open(SyntheticDataset.writeNnUnet(tmp.resolve("v2"), cases));
        Preprocessing p = Preprocessing.plan(f, f.training(), null);
        // spacings [3, 1, 1], [3, 1, 1], [2.5, 1.2, 1] → median per axis
        assertArrayEquals(new double[] {3, 1, 1}, p.targetSpacing(), 1e-6);
        assertEquals(Scheme.ZSCORE, p.channels().get(0).scheme());
        assertEquals(Scheme.CT, p.channels().get(1).scheme());
        // the CT statistics by hand: every foreground voxel of channel 1 (few enough to take all)
        int n = 0;
        for (Volume v : cases) for (int i = 0; i < v.labels().size(); i++) if (v.labels().at(i) > 0) n++;
        double[] fg = new double[n];
        int k = 0;
        for (Volume v : cases) {
            int size = v.labels().size();
            for (int i = 0; i < size; i++) if (v.labels().at(i) > 0) fg[k++] = v.image().at(size + i);
        }
        ChannelNorm expected = Preprocessing.ctNorm("CT", fg);
        assertEquals(expected, p.channels().get(1));
        assertTrue(expected.clipLow() >= 150 && expected.clipHigh() <= 369, expected.toString());

        Preprocessing given = Preprocessing.plan(f, f.training(), Preprocessing.parseSpacingXyz("2,2,4"));
        assertArrayEquals(new double[] {4, 2, 2}, given.targetSpacing());
    }

    @Test
    void applyCropsNormalisesResamplesAndTheWayBackRestoresTheGrid() throws IOException {
        List<Volume> cases = SyntheticDataset.cases();
        DatasetFolder f = DatasetFolder.open(SyntheticDataset.writeMsd(tmp.resolve("msd"), cases));
        Preprocessing p = Preprocessing.plan(f, f.training(), null);

        LoadedCase a = CaseLoader.load(f, f.trainingCase("case_a"));
        Prepared pa = p.apply(a);
        // a one-voxel zero border: crop [10, 12, 14] → [8, 10, 12] from (1, 1, 1); spacing already the target
        assertArrayEquals(new int[] {1, 1, 1}, pa.geometry().cropStart());
        assertArrayEquals(new int[] {8, 10, 12}, pa.geometry().cropShape());
        assertArrayEquals(new int[] {8, 10, 12}, pa.geometry().resampledShape());
        assertEquals(org.segloss.tensor.Shape.of(2, 8, 10, 12), pa.image().shape());
        double mean = 0;
        for (int i = 0; i < 960; i++) mean += pa.image().at(i);
        assertEquals(0, mean / 960, 1e-5);   // z-scored channel 0
        // labels come back exactly (only background was cropped, nothing resampled)
        assertArrayEquals(a.labels().toArray(), p.labelsToOriginalGrid(pa.labels(), pa.geometry()).toArray());

        // case_c at [2.5, 1.2, 1] mm → [3, 1, 1]: [4, 6, 9] → round(4·2.5/3), round(6·1.2), 9
        Prepared pc = p.apply(CaseLoader.load(f, f.trainingCase("case_c")));
        assertArrayEquals(new int[] {3, 7, 9}, pc.geometry().resampledShape());
        assertArrayEquals(new int[] {3, 7, 9}, pc.labels().shape().dims());

        // logits that say "ball" everywhere: ball inside the crop box, background outside it
        Tensor logits = Tensor.zeros(3, 8, 10, 12);
        for (int i = 0; i < 960; i++) logits.set(10f, 1, i / 120, (i / 12) % 10, i % 12);
        Tensor probs = p.toOriginalGrid(logits, pa.geometry());
        assertEquals(org.segloss.tensor.Shape.of(3, 10, 12, 14), probs.shape());
        assertEquals(1f, probs.get(0, 0, 0, 0));
        assertEquals(0f, probs.get(1, 0, 0, 0));
        assertEquals(1f, probs.get(1, 5, 5, 5), 1e-4);
        LabelTensor labels = probs.argmax(0);
        assertEquals(8 * 10 * 12, labels.count(1));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.toOriginalGrid(Tensor.zeros(3, 8, 10, 11),
                pa.geometry()));
        assertTrue(e.getMessage().contains("[K, 8, 10, 12]"), e.getMessage());
        Preprocessing oneChannel = new Preprocessing(p.targetSpacing(), List.of(p.channels().get(0)), p.classNames());
        e = assertThrows(IllegalArgumentException.class, () -> oneChannel.apply(a));
        assertTrue(e.getMessage().contains("case case_a") && e.getMessage().contains("2 channel(s)"), e.getMessage());
    }

    @Test
    void paddingBringsSmallVolumesToAPatchAndBack() {
        Padding pad = Padding.toAtLeast(new int[] {3, 7, 9}, new int[] {8, 8, 8});
        assertArrayEquals(new int[] {2, 0, 0}, pad.before());
        assertArrayEquals(new int[] {3, 1, 0}, pad.after());
        Tensor img = Tensor.rand(3, 2, 3, 7, 9);
        Tensor padded = pad.pad(img);
        assertEquals(org.segloss.tensor.Shape.of(2, 8, 8, 9), padded.shape());
        assertEquals(0f, padded.get(1, 0, 0, 0));
        assertEquals(img.get(1, 0, 0, 0), padded.get(1, 2, 0, 0));
        assertEquals(0f, img.maxAbsDiff(pad.unpad(padded)));
        LabelTensor lab = LabelTensor.randomLabels(4, 3, 3, 7, 9);
        LabelTensor pl = pad.pad(lab);
        assertEquals(lab.get(2, 6, 8), pl.get(4, 6, 8));
        assertEquals(0, pl.get(7, 7, 8));
        assertTrue(Padding.toAtLeast(new int[] {9, 9, 9}, new int[] {8, 8, 8}).isNone());
    }

    // ---- the checkpoint's copy -----------------------------------------------------------------

    @Test
    void preprocessingRoundTripsThroughACheckpoint() throws IOException {
        Preprocessing p = new Preprocessing(new double[] {3.0000000001, 0.7, 1.1},
                List.of(ChannelNorm.perCase("T2, weighted", Scheme.ZSCORE), new ChannelNorm("CT", Scheme.CT, -1000.25, 1234.5, 0.1 + 0.2,
                        Math.PI), ChannelNorm.perCase("raw", Scheme.NONE)), List.of("background", "liver", "tumour"));
        Path file = tmp.resolve("c.ckpt");
        Map<String, String> meta = new HashMap<>(p.toMetadata());
        meta.put("seed", "42");
        Checkpoint.save(file, new Conv3d(1, 1, 1), null, 0, meta);
        Preprocessing back = Preprocessing.fromMetadata(Checkpoint.read(file).metadata());
        assertArrayEquals(p.targetSpacing(), back.targetSpacing());   // bit for bit
        assertEquals(p.channels(), back.channels());
        assertEquals(p.classNames(), back.classNames());
        assertEquals(p.toMetadata(), back.toMetadata());

        Map<String, String> broken = new HashMap<>(p.toMetadata());
        broken.remove("preprocessing.channel.1.mean");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.fromMetadata(broken));
        assertTrue(e.getMessage().contains("preprocessing.channel.1.mean is missing"), e.getMessage());
        broken.put("preprocessing.channel.1.mean", "1");
        broken.put("preprocessing.channel.0.scheme", "minmax");
        e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.fromMetadata(broken));
        assertTrue(e.getMessage().contains("zscore, ct, none") && e.getMessage().contains("minmax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.fromMetadata(Map.of()));
        assertTrue(e.getMessage().contains("preprocessing.format is missing"), e.getMessage());
        assertNotEquals(p.toMetadata(), new Preprocessing(new double[] {3, 0.7, 1.1}, p.channels(), p.classNames()).toMetadata());
    }

    @Test
    void spacingOptionIsXyzAndChecked() {
        assertArrayEquals(new double[] {3, 1, 0.5}, Preprocessing.parseSpacingXyz("0.5,1,3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.parseSpacingXyz("1,x,3"));
        assertTrue(e.getMessage().startsWith("--spacing 1,x,3:") && e.getMessage().contains("\"x\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.parseSpacingXyz("1,1"));
        assertTrue(e.getMessage().contains("three numbers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Preprocessing.parseSpacingXyz("1,0,1"));
        assertTrue(e.getMessage().contains("> 0"), e.getMessage());
    }
}
