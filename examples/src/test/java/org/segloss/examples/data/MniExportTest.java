package org.segloss.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.examples.data.CaseLoader.LoadedCase;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.MniAtlas;
import org.segloss.tensor.Tensor;

/** The MNI export read back as a data set (skipped without Debian's mricron-data). */
class MniExportTest {
    @TempDir
    Path tmp;

    static boolean templatesPresent() {
        return Files.isRegularFile(MniAtlas.DEFAULT_DIR.resolve("ch2.nii.gz")) && Files.isRegularFile(MniAtlas.DEFAULT_DIR.resolve("aal.nii.gz"))
                && Files.isRegularFile(MniAtlas.DEFAULT_DIR.resolve("aal.nii.txt"));
    }

    @Test
    void exportRoundTripsAsAnNnUnetFolder() throws IOException {
        assumeTrue(templatesPresent(), "mricron-data not installed");
        Path out = tmp.resolve("Dataset900_Colin27AAL");
        MniExport.export(MniAtlas.DEFAULT_DIR, out);
        DatasetFolder f = DatasetFolder.open(out);
        assertEquals(DatasetFolder.Layout.NNUNET_V2, f.layout());
        assertEquals(List.of("T1"), f.channelNames());
        assertEquals(MniAtlas.CLASS_NAMES, f.classNames());
        assertEquals(List.of(MniExport.LEFT, MniExport.RIGHT), f.trainingIds());
        Folds.Fold fold0 = Folds.select(out, f.trainingIds(), "0");
        assertEquals(List.of(MniExport.LEFT), fold0.train());
        assertEquals(List.of(MniExport.RIGHT), fold0.validation());

        MniAtlas.Split split = MniAtlas.load();
        check(CaseLoader.load(f, f.trainingCase(MniExport.LEFT)), split.train(), split.trainAffine());
        check(CaseLoader.load(f, f.trainingCase(MniExport.RIGHT)), split.validation(), split.validationAffine());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MniExport.export(MniAtlas.DEFAULT_DIR, out));
        assertTrue(e.getMessage().contains("not an empty directory"), e.getMessage());
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no temporary folder left behind");
        }
    }

    /**
     * Labels and affine equal MniAtlas's; the image is the raw T1: MniAtlas's z-scored crop is
     * (raw − mean) / sd at every voxel, the same mean and sd for all, and its padding value where
     * the export wrote 0.
     */
    private static void check(LoadedCase lc, LabeledVolume expected, double[][] affine) {
        assertArrayEquals(expected.labels().toArray(), lc.labels().toArray());
        for (int r = 0; r < 4; r++) assertArrayEquals(affine[r], lc.affine()[r], 1e-4);
        Tensor raw = lc.image(), z = expected.image();
        int a = -1, b = -1;
        for (int i = 0; i < raw.size() && b < 0; i++) {
            if (raw.at(i) == 0) continue;
            if (a < 0) a = i;
            else if (raw.at(i) != raw.at(a)) b = i;
        }
        double sd = (raw.at(b) - raw.at(a)) / (double) (z.at(b) - z.at(a));
        double mean = raw.at(a) - sd * z.at(a);
        assertEquals(76.392, mean, 1e-2);   // spec/nifti.md: ch2's nonzero voxels
        assertEquals(36.302, sd, 1e-2);
        int nonzero = 0;
        for (int i = 0; i < raw.size(); i++) {
            assertEquals((raw.at(i) - mean) / sd, z.at(i), 1e-3, "voxel " + i);
            if (raw.at(i) != 0) nonzero++;
        }
        assertTrue(nonzero > raw.size() / 2, "the crop is mostly head: " + nonzero + " of " + raw.size());
    }
}
