package org.segloss.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.autograd.Var;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.io.NiftiImage.Datatype;
import org.segloss.loss.DiceCELoss;
import org.segloss.metrics.SegmentationMetrics;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/** Runs the README program {@link ScorePrediction} on NIfTI files written here. */
class ScorePredictionTest {
    @TempDir
    Path dir;

    @Test
    void readmeProgramReadsScoresAndDifferentiates() throws IOException {
        int c = 3, d = 4, h = 5, w = 6;
        LabelTensor truth = LabelTensor.randomLabels(11, c, d, h, w);
        // probability 0.8 on the true class, 0.1 on each other one: argmax = truth
        float[] p = new float[c * d * h * w];
        for (int i = 0; i < d * h * w; i++) for (int k = 0; k < c; k++) p[k * d * h * w + i] = truth.at(i) == k ? 0.8f : 0.1f;
        Tensor probs = Tensor.wrap(p, c, d, h, w);
        double[] spacing = {3, 1, 0.5};
        Path probFile = dir.resolve("case_probabilities.nii.gz"), truthFile = dir.resolve("case.nii.gz");
        Nifti.write(probFile, NiftiImage.of(probs, Datatype.FLOAT32, spacing, null));
        Nifti.write(truthFile, NiftiImage.of(truth, Datatype.UINT8, spacing, null));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        float loss = ScorePrediction.run(probFile, truthFile, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        Var logits = Var.param(probs.log().reshape(1, c, d, h, w));
        float expected = DiceCELoss.nnUnet(false).forward(logits, truth.reshape(1, d, h, w)).value().item();
        assertEquals(expected, loss, 1e-6f);
        assertTrue(out.contains("gradient [1, 3, 4, 5, 6]"), out);
        assertEquals(SegmentationMetrics.evaluate(truth, truth, c, spacing).toTable(), out.substring(out.indexOf('\n') + 1));
    }
}
