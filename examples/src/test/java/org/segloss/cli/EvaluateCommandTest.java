package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.io.NiftiImage.Datatype;
import org.segloss.tensor.LabelTensor;
import picocli.CommandLine;

/** {@code segloss evaluate} on NIfTI files with known Dice and distances, and its rejections. */
class EvaluateCommandTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        EvaluateCommand cmd = new EvaluateCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        cmd.outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(cmd).setErr(new java.io.PrintWriter(cmd.errStream, true)).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** c1: [6, 6, 8] at (2, 1, 1.5) mm, a rotated and flipped affine; c2: [8, 6, 6] at 1 mm, no affine. */
    private static final int[] SHAPE1 = {6, 6, 8}, SHAPE2 = {8, 6, 6};
    private static final double[] SPACING1 = {2, 1, 1.5}, SPACING2 = {1, 1, 1};
    private static final double[][] AFFINE1 = {{-1.5, 0, 0, 10}, {0, 0, 2, 0}, {0, 1, 0, -5}, {0, 0, 0, 1}};

    private static int[] labels(int[] shape, int[][] boxes) {
        int[] v = new int[shape[0] * shape[1] * shape[2]];
        for (int[] b : boxes) {
            for (int z = b[1]; z <= b[2]; z++) for (int y = b[3]; y <= b[4]; y++) for (int x = b[5]; x <= b[6]; x++) {
                v[(z * shape[1] + y) * shape[2] + x] = b[0];
            }
        }
        return v;
    }

    private static void write(Path file, int[] shape, int[][] boxes, double[] spacing, double[][] affine) throws IOException {
        Files.createDirectories(file.getParent());
        Nifti.write(file, NiftiImage.of(LabelTensor.of(labels(shape, boxes), shape), Datatype.UINT8, spacing, affine));
    }

    private Path[] knownCase() throws IOException {
        Path pred = tmp.resolve("pred"), truth = tmp.resolve("truth");
        // c1 class 1: one voxel each, 3 voxels apart along W (1.5 mm): distance 4.5 mm; class 2 identical boxes
        write(truth.resolve("c1.nii.gz"), SHAPE1, new int[][] {{1, 2, 2, 2, 2, 2, 2}, {2, 3, 4, 3, 4, 5, 6}}, SPACING1, AFFINE1);
        write(pred.resolve("c1.nii.gz"), SHAPE1, new int[][] {{1, 2, 2, 2, 2, 5, 5}, {2, 3, 4, 3, 4, 5, 6}}, SPACING1, AFFINE1);
        // c2 class 1: 4³ boxes one voxel apart along D: Dice 2·48/128 = 0.75, IoU 48/80 = 0.6, HD 1 mm; class 2 in neither
        write(truth.resolve("c2.nii"), SHAPE2, new int[][] {{1, 1, 4, 1, 4, 1, 4}}, SPACING2, null);
        write(pred.resolve("c2.nii.gz"), SHAPE2, new int[][] {{1, 2, 5, 1, 4, 1, 4}}, SPACING2, null);
        // a truth without a prediction
        write(truth.resolve("c3.nii.gz"), SHAPE2, new int[][] {}, SPACING2, null);
        return new Path[] {pred, truth};
    }

    @Test
    void knownDiceAndDistancesInMillimetres() throws IOException {
        Path[] d = knownCase();
        Path labels = tmp.resolve("dataset.json");
        Files.writeString(labels, "{\"channel_names\": {\"0\": \"T1\"}, \"labels\": {\"background\": 0, \"dot\": 1, \"block\": 2},"
                + " \"numTraining\": 1, \"file_ending\": \".nii.gz\"}");
        Path out = tmp.resolve("out");
        Run r = run("--pred", d[0].toString(), "--truth", d[1].toString(), "--out", out.toString(), "--labels", labels.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> csv = Files.readAllLines(out.resolve("evaluation.csv"));
        assertEquals("case,class,label,dice,iou,hd95_mm,assd_mm,hd_mm,pred_voxels,truth_voxels,empty", csv.get(0));
        assertEquals(5, csv.size(), csv.toString());
        assertEquals("c1,dot,1,0.000000,0.000000,4.500000,4.500000,4.500000,1,1,", csv.get(1));
        assertEquals("c1,block,2,1.000000,1.000000,0.000000,0.000000,0.000000,8,8,", csv.get(2));
        String[] c2 = csv.get(3).split(",", -1);
        assertEquals(List.of("c2", "dot", "1", "0.750000", "0.600000"), List.of(c2).subList(0, 5));
        assertEquals(1.0, Double.parseDouble(c2[7]), 1e-9);   // HD
        assertEquals("c2,block,2,1.000000,1.000000,0.000000,0.000000,0.000000,0,0,both", csv.get(4));
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("| dot | 0.375 ± 0.375 | 0.300 ± 0.300 |"), md);
        assertTrue(md.contains("| block | 1.000 ± 0.000 | 1.000 ± 0.000 | 0.00 ± 0.00 | 0.00 ± 0.00 | 1 / 1 |"), md);
        assertTrue(md.contains("Truth files without a prediction (not scored): c3"), md);
        assertTrue(r.out().contains("| dot |"), r.out());

        // without --labels: classes by number, same values
        Path out2 = tmp.resolve("out2");
        assertEquals(0, run("--pred", d[0].toString(), "--truth", d[1].toString(), "--out", out2.toString()).exit());
        assertEquals("c1,1,1,0.000000,0.000000,4.500000,4.500000,4.500000,1,1,", Files.readAllLines(out2.resolve("evaluation.csv")).get(1));
    }

    @Test
    void badInputIsNamedAndNothingIsWritten() throws IOException {
        Path[] d = knownCase();
        Path out = tmp.resolve("out");
        Files.delete(d[1].resolve("c1.nii.gz"));
        Run r = run("--pred", d[0].toString(), "--truth", d[1].toString(), "--out", out.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("segloss evaluate: case c1: prediction") && r.err().contains("has no truth file"), r.err());
        assertFalse(Files.exists(out));

        // another grid: c1's truth without its affine
        write(d[1].resolve("c1.nii.gz"), SHAPE1, new int[][] {{1, 2, 2, 2, 2, 2, 2}}, SPACING1, null);
        r = run("--pred", d[0].toString(), "--truth", d[1].toString(), "--out", out.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("case c1") && r.err().contains("affine") && r.err().contains("one grid"), r.err());
        assertFalse(Files.exists(out));

        // a label the dataset.json does not have
        write(d[1].resolve("c1.nii.gz"), SHAPE1, new int[][] {{1, 2, 2, 2, 2, 2, 2}, {2, 3, 4, 3, 4, 5, 6}}, SPACING1, AFFINE1);
        Path labels = tmp.resolve("dataset.json");
        Files.writeString(labels, "{\"modality\": {\"0\": \"CT\"}, \"labels\": {\"0\": \"background\", \"1\": \"dot\"}}");
        r = run("--pred", d[0].toString(), "--truth", d[1].toString(), "--out", out.toString(), "--labels", labels.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("case c1") && r.err().contains("c1.nii.gz") && r.err().contains("[2]"), r.err());
        assertFalse(Files.exists(out));

        r = run("--pred", tmp.resolve("nowhere").toString(), "--truth", d[1].toString(), "--out", out.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--pred") && r.err().contains("not a directory"), r.err());
    }
}
