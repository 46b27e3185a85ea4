package org.segloss.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.examples.data.CaseLoader.LoadedCase;
import org.segloss.examples.data.SyntheticDataset.Volume;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.io.NiftiImage.Datatype;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** {@link DatasetFolder} and {@link CaseLoader}: both layouts read alike, and every bad input named. */
class DatasetFolderTest {
    @TempDir
    Path tmp;

    @Test
    void bothLayoutsGiveTheSameCases() throws IOException {
        List<Volume> cases = SyntheticDataset.cases();
        DatasetFolder v2 = DatasetFolder.open(SyntheticDataset.writeNnUnet(tmp.resolve("v2"), cases));
        DatasetFolder msd = DatasetFolder.open(SyntheticDataset.writeMsd(tmp.resolve("msd"), cases));
        assertEquals(DatasetFolder.Layout.NNUNET_V2, v2.layout());
        assertEquals(DatasetFolder.Layout.MSD, msd.layout());
        assertEquals(List.of("T2", "CT"), v2.channelNames());
        assertEquals(List.of("MRI", "CT"), msd.channelNames());
        assertEquals(SyntheticDataset.CLASSES, v2.classNames());
        assertEquals(SyntheticDataset.CLASSES, msd.classNames());
        assertEquals(List.of("case_a", "case_b", "case_c"), v2.trainingIds());
        assertEquals(v2.trainingIds(), msd.trainingIds());
        assertEquals(2, v2.training().get(0).imageFiles().size());
        assertTrue(msd.training().get(0).channelsInOneFile());
        for (int i = 0; i < cases.size(); i++) {
            Volume v = cases.get(i);
            for (DatasetFolder f : List.of(v2, msd)) {
                LoadedCase lc = CaseLoader.load(f, f.training().get(i));
                assertEquals(v.id(), lc.id());
                assertEquals(v.image().shape(), lc.image().shape());
                assertEquals(0f, v.image().maxAbsDiff(lc.image()));
                assertArrayEquals(v.labels().toArray(), lc.labels().toArray());
                assertArrayEquals(v.spacing(), lc.spacing(), 1e-6);
                for (int r = 0; r < 4; r++) assertArrayEquals(v.affine()[r], lc.affine()[r], 1e-5);
            }
        }
    }

    @Test
    void testCasesAreFoundInBothLayouts() throws IOException {
        List<Volume> cases = SyntheticDataset.cases();
        Path dir = SyntheticDataset.writeNnUnet(tmp.resolve("v2"), cases);
        Files.createDirectories(dir.resolve("imagesTs"));
        Files.copy(dir.resolve("imagesTr/case_a_0000.nii.gz"), dir.resolve("imagesTs/new_0000.nii.gz"));
        Files.copy(dir.resolve("imagesTr/case_a_0001.nii.gz"), dir.resolve("imagesTs/new_0001.nii.gz"));
        DatasetFolder f = DatasetFolder.open(dir);
        assertEquals(1, f.test().size());
        assertEquals("new", f.test().get(0).id());
        assertNull(f.test().get(0).labelFile());
        LoadedCase lc = CaseLoader.load(f, f.test().get(0));
        assertNull(lc.labels());
        assertEquals(2, lc.channels());
    }

    private static String message(Path dir) {
        return assertThrows(IllegalArgumentException.class, () -> {
            DatasetFolder f = DatasetFolder.open(dir);
            for (DatasetFolder.Case c : f.training()) CaseLoader.load(f, c);
        }).getMessage();
    }

    @Test
    void missingFilesAreListedWithTheirCases() throws IOException {
        Path dir = SyntheticDataset.writeMsd(tmp.resolve("msd"), SyntheticDataset.cases());
        Files.delete(dir.resolve("labelsTr/case_b.nii"));
        Files.delete(dir.resolve("imagesTr/case_c.nii.gz"));
        String m = message(dir);
        assertTrue(m.contains("2 file(s)") && m.contains("case case_b: label") && m.contains("case_b.nii")
                && m.contains("case case_c: image"), m);

        Path v2 = SyntheticDataset.writeNnUnet(tmp.resolve("v2"), SyntheticDataset.cases());
        Files.delete(v2.resolve("imagesTr/case_a_0001.nii.gz"));
        m = message(v2);
        assertTrue(m.contains("case case_a: channel 1 image") && m.contains("case_a_0001.nii.gz"), m);
    }

    @Test
    void emptyTrainingListIsRejected() throws IOException {
        Path dir = tmp.resolve("empty");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dataset.json"), "{\"modality\": {\"0\": \"MRI\"}, \"labels\": {\"0\": \"background\","
                + " \"1\": \"x\"}, \"training\": []}");
        assertTrue(message(dir).contains("the training list is empty"), message(dir));
    }

    @Test
    void labelValuesNotInLabelsAreRejected() throws IOException {
        Path dir = SyntheticDataset.writeNnUnet(tmp.resolve("v2"), SyntheticDataset.cases());
        Volume b = SyntheticDataset.cases().get(1);
        int[] lab = b.labels().toArray();
        lab[5] = 7;
        lab[6] = -1;
        Nifti.write(dir.resolve("labelsTr/case_b.nii.gz"), NiftiImage.of(LabelTensor.of(lab, b.labels().shape().dims()), Datatype.INT16,
                b.spacing(), b.affine()));
        String m = message(dir);
        assertTrue(m.contains("case case_b") && m.contains("case_b.nii.gz") && m.contains("0..2") && m.contains("[-1, 7]"), m);
    }

    @Test
    void imageAndLabelOnDifferentGridsAreRejected() throws IOException {
        Path dir = SyntheticDataset.writeNnUnet(tmp.resolve("shape"), SyntheticDataset.cases());
        Nifti.write(dir.resolve("labelsTr/case_a.nii.gz"), NiftiImage.of(LabelTensor.zeros(10, 12, 13), Datatype.UINT8,
                new double[] {3, 1, 1}, null));
        String m = message(dir);
        assertTrue(m.contains("case case_a") && m.contains("case_a.nii.gz") && m.contains("[10, 12, 13]")
                && m.contains("[10, 12, 14]") && m.contains("one grid"), m);

        dir = SyntheticDataset.writeNnUnet(tmp.resolve("affine"), SyntheticDataset.cases());
        Volume a = SyntheticDataset.cases().get(0);
        double[][] moved = {{1, 0, 0, -7}, {0, 1, 0, -6}, {0, 0, 3, -14}, {0, 0, 0, 1}};
        Nifti.write(dir.resolve("labelsTr/case_a.nii.gz"), NiftiImage.of(a.labels(), Datatype.UINT8, a.spacing(), moved));
        m = message(dir);
        assertTrue(m.contains("case case_a") && m.contains("affine") && m.contains("one grid"), m);

        dir = SyntheticDataset.writeNnUnet(tmp.resolve("channels"), SyntheticDataset.cases());
        Nifti.write(dir.resolve("imagesTr/case_a_0001.nii.gz"), NiftiImage.of(Tensor.ones(10, 12, 15), Datatype.FLOAT32, a.spacing(),
                null));
        m = message(dir);
        assertTrue(m.contains("case case_a") && m.contains("case_a_0001.nii.gz") && m.contains("[10, 12, 15]"), m);
    }

    @Test
    void nonIntegerLabelsAreRejected() throws IOException {
        Path dir = SyntheticDataset.writeNnUnet(tmp.resolve("v2"), SyntheticDataset.cases());
        Volume c = SyntheticDataset.cases().get(2);
        Tensor lab = c.labels().toFloat();
        lab.set(0.5f, 1, 2, 3);
        Nifti.write(dir.resolve("labelsTr/case_c.nii.gz"), NiftiImage.of(lab, Datatype.FLOAT32, c.spacing(), c.affine()));
        String m = message(dir);
        assertTrue(m.contains("case case_c") && m.contains("case_c.nii.gz") && m.contains("must be integers") && m.contains("0.5"), m);
    }

    @Test
    void twoDimensionalImagesAreRejected() throws IOException {
        Path dir = SyntheticDataset.writeNnUnet(tmp.resolve("v2"), SyntheticDataset.cases());
        for (int ch = 0; ch < 2; ch++) {
            Nifti.write(dir.resolve("imagesTr/case_a_000" + ch + ".nii.gz"), NiftiImage.of(Tensor.ones(1, 12, 14), Datatype.FLOAT32,
                    new double[] {1, 1, 1}, null));
        }
        String m = message(dir);
        assertTrue(m.contains("case case_a") && m.contains("case_a_0000.nii.gz") && m.contains("2-D image"), m);

        // a true 2-D file: dim[0] = 2 (written as a one-slice volume, then the header patched)
        Path msd = SyntheticDataset.writeMsd(tmp.resolve("msd"), SyntheticDataset.cases());
        byte[] bytes = Nifti.toBytes(NiftiImage.of(Tensor.ones(1, 12, 14), Datatype.FLOAT32, new double[] {1, 1, 1}, null));
        bytes[40] = 2;
        Files.delete(msd.resolve("imagesTr/case_b.nii.gz"));
        Files.write(msd.resolve("imagesTr/case_b.nii"), bytes);
        Files.writeString(msd.resolve("dataset.json"), Files.readString(msd.resolve("dataset.json"))
                .replace("imagesTr/case_b.nii.gz", "imagesTr/case_b.nii"));
        m = message(msd);
        assertTrue(m.contains("case case_b") && m.contains("case_b.nii") && m.contains("2-D image") && m.contains("got 2"), m);
    }

    @Test
    void badDatasetJsonIsExplained() throws IOException {
        Path dir = SyntheticDataset.writeNnUnet(tmp.resolve("v2"), SyntheticDataset.cases());
        String good = Files.readString(dir.resolve("dataset.json"));
        Files.writeString(dir.resolve("dataset.json"), good.replace("\"numTraining\": 3", "\"numTraining\": 4"));
        assertTrue(message(dir).contains("numTraining is 4 but imagesTr/ holds 3"), message(dir));
        Files.writeString(dir.resolve("dataset.json"), good.replace("\"core\": 2", "\"core\": 3"));
        assertTrue(message(dir).contains("0, 1, ..., 2 each once"), message(dir));
        Files.writeString(dir.resolve("dataset.json"), good.replace("\"core\": 2", "\"core\": [1, 2]"));
        assertTrue(message(dir).contains("region-based"), message(dir));
        Files.writeString(dir.resolve("dataset.json"), good.replace("\".nii.gz\"", "\".png\""));
        assertTrue(message(dir).contains("file_ending"), message(dir));
        Files.writeString(dir.resolve("dataset.json"), "{\"labels\": {}}");
        assertTrue(message(dir).contains("channel_names and file_ending"), message(dir));
        Files.writeString(dir.resolve("dataset.json"), "{nope");
        assertTrue(message(dir).contains("not valid JSON"), message(dir));
        Files.delete(dir.resolve("dataset.json"));
        assertTrue(message(dir).contains("dataset.json not found"), message(dir));
        Files.writeString(dir.resolve("imagesTr/notes.txt"), "x");
        Files.writeString(dir.resolve("dataset.json"), good);
        assertTrue(message(dir).contains("notes.txt"), message(dir));
    }
}
